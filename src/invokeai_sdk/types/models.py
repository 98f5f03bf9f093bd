"""Types of the ``ivk.models`` namespace: model configs, install jobs, starter models.

The server adds model bases, types and formats in every release, so these types are forward
compatible: a known value becomes an enum member (``model.base == BaseModelType.SDXL``), an unknown
one stays a plain ``str`` and never makes a listing fail. The server's configs are a discriminated
union of about a hundred classes; here they are one lenient :class:`ModelConfig` with the common
fields typed and every other field kept (``model.model_extra`` / ``model.to_dict()``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, StrEnum
from typing import Annotated, Any, TypeAlias, TypeVar

from pydantic import BeforeValidator, Field

from .._models import RequestModel, ResponseModel

__all__ = [
    "BaseModelType",
    "BulkDeleteFailure",
    "BulkDeleteResult",
    "BulkReidentifyResult",
    "DeleteOrphanedModelsResult",
    "FoundModel",
    "HFTokenStatus",
    "HuggingFaceRepoFiles",
    "InstallProgress",
    "InstallResult",
    "InstallStatus",
    "ModelCacheStats",
    "ModelChanges",
    "ModelConfig",
    "ModelFormat",
    "ModelInstallJobInfo",
    "ModelSourceType",
    "ModelType",
    "OrphanedModel",
    "StarterModel",
    "StarterModelBundle",
    "StarterModels",
]

E = TypeVar("E", bound=Enum)


class BaseModelType(StrEnum):
    """The model family a model belongs to (``base``). Unknown values arrive as plain strings."""

    ANY = "any"
    SD1 = "sd-1"
    SD2 = "sd-2"
    SD3 = "sd-3"
    SDXL = "sdxl"
    SDXL_REFINER = "sdxl-refiner"
    FLUX = "flux"
    FLUX2 = "flux2"
    COGVIEW4 = "cogview4"
    Z_IMAGE = "z-image"
    ERNIE_IMAGE = "ernie-image"
    IDEOGRAM4 = "ideogram-4"
    EXTERNAL = "external"
    QWEN_IMAGE = "qwen-image"
    ANIMA = "anima"
    KREA2 = "krea-2"
    WAN = "wan"
    UNKNOWN = "unknown"


class ModelType(StrEnum):
    """What kind of model it is (``type``). Unknown values arrive as plain strings."""

    ONNX = "onnx"
    MAIN = "main"
    VAE = "vae"
    LORA = "lora"
    CONTROL_LORA = "control_lora"
    CONTROLNET = "controlnet"
    EMBEDDING = "embedding"
    IP_ADAPTER = "ip_adapter"
    CLIP_VISION = "clip_vision"
    CLIP_EMBED = "clip_embed"
    T2I_ADAPTER = "t2i_adapter"
    T5_ENCODER = "t5_encoder"
    QWEN3_ENCODER = "qwen3_encoder"
    QWEN_VL_ENCODER = "qwen_vl_encoder"
    QWEN3_VL_ENCODER = "qwen3_vl_encoder"
    MISTRAL_ENCODER = "mistral_encoder"
    WAN_T5_ENCODER = "wan_t5_encoder"
    GEMMA2_ENCODER = "gemma2_encoder"
    SPANDREL_IMAGE_TO_IMAGE = "spandrel_image_to_image"
    SIGLIP = "siglip"
    FLUX_REDUX = "flux_redux"
    LLAVA_ONEVISION = "llava_onevision"
    PROMPT_ENHANCER = "prompt_enhancer"
    TEXT_LLM = "text_llm"
    EXTERNAL_IMAGE_GENERATOR = "external_image_generator"
    PID_DECODER = "pid_decoder"
    UNKNOWN = "unknown"


class ModelFormat(StrEnum):
    """How a model is stored on disk (``format``). Unknown values arrive as plain strings."""

    OMI = "omi"
    DIFFUSERS = "diffusers"
    CHECKPOINT = "checkpoint"
    LYCORIS = "lycoris"
    ONNX = "onnx"
    OLIVE = "olive"
    EMBEDDING_FILE = "embedding_file"
    EMBEDDING_FOLDER = "embedding_folder"
    INVOKEAI = "invokeai"
    T5_ENCODER = "t5_encoder"
    QWEN3_ENCODER = "qwen3_encoder"
    QWEN_VL_ENCODER = "qwen_vl_encoder"
    QWEN3_VL_ENCODER = "qwen3_vl_encoder"
    MISTRAL_ENCODER = "mistral_encoder"
    WAN_T5_ENCODER = "wan_t5_encoder"
    GEMMA2_ENCODER = "gemma2_encoder"
    BNB_QUANTIZED_INT8B = "bnb_quantized_int8b"
    BNB_QUANTIZED_NF4B = "bnb_quantized_nf4b"
    GGUF_QUANTIZED = "gguf_quantized"
    EXTERNAL_API = "external_api"
    SDNQ_QUANTIZED = "sdnq_quantized"
    UNKNOWN = "unknown"


class ModelSourceType(StrEnum):
    """Where a model was installed from."""

    PATH = "path"
    URL = "url"
    HF_REPO_ID = "hf_repo_id"
    EXTERNAL = "external"


class InstallStatus(StrEnum):
    """The state of a model install job."""

    WAITING = "waiting"
    DOWNLOADING = "downloading"
    DOWNLOADS_DONE = "downloads_done"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"


class HFTokenStatus(StrEnum):
    """Whether the server holds a working Hugging Face token (``unknown``: it could not check)."""

    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


def lenient_enum(enum: type[E]) -> Callable[[Any], Any]:
    """A before-validator: a known value becomes the enum member, anything else is kept as is."""

    def convert(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Enum):
            try:
                return enum(value)
            except ValueError:
                return value
        return value

    return convert


LenientBase: TypeAlias = Annotated[BaseModelType | str, BeforeValidator(lenient_enum(BaseModelType))]
"""A :class:`BaseModelType`, or the raw ``str`` when this SDK does not know the value."""
LenientModelType: TypeAlias = Annotated[ModelType | str, BeforeValidator(lenient_enum(ModelType))]
"""A :class:`ModelType`, or the raw ``str`` when this SDK does not know the value."""
LenientFormat: TypeAlias = Annotated[ModelFormat | str, BeforeValidator(lenient_enum(ModelFormat))]
"""A :class:`ModelFormat`, or the raw ``str`` when this SDK does not know the value."""
LenientSourceType: TypeAlias = Annotated[
    ModelSourceType | str, BeforeValidator(lenient_enum(ModelSourceType))
]
LenientInstallStatus: TypeAlias = Annotated[InstallStatus | str, BeforeValidator(lenient_enum(InstallStatus))]
LenientHFTokenStatus: TypeAlias = Annotated[HFTokenStatus | str, BeforeValidator(lenient_enum(HFTokenStatus))]

TERMINAL_INSTALL_STATES = frozenset({"completed", "error", "cancelled"})
DUPLICATE_ERROR_REASON = "DuplicateModelException"


class ModelConfig(ResponseModel):
    """One installed model, whatever its kind.

    ``base``, ``type`` and ``format`` are enums when this SDK knows the value, else plain strings.
    Kind-specific fields (``variant``, ``default_settings``, ``trigger_phrases``, ``config_path``,
    ...) are kept as extra fields: ``model.model_extra``, ``model.to_dict()`` or attribute access.
    """

    key: str
    name: str
    base: LenientBase
    type: LenientModelType
    format: LenientFormat
    hash: str | None = None
    path: str | None = None
    file_size: int | None = None
    description: str | None = None
    source: str | None = None
    source_type: LenientSourceType | None = None
    source_url: str | None = None
    cover_image: str | None = None


class FoundModel(ResponseModel):
    """A model file or folder found by :meth:`ModelsResource.scan_folder`."""

    path: str
    is_installed: bool


class ModelCacheStats(ResponseModel):
    """The model manager's RAM cache: ``hits``, ``misses``, ``high_watermark``, sizes of loaded models."""

    hits: int = 0
    misses: int = 0
    high_watermark: int = 0
    in_cache: int = 0
    cleared: int = 0
    cache_size: int = 0
    loaded_model_sizes: dict[str, int] = Field(default_factory=dict)


class StarterModel(ResponseModel):
    """A model the server offers to install (``source`` is what to pass to ``install``)."""

    name: str
    source: str
    base: LenientBase
    type: LenientModelType
    description: str | None = None
    format: LenientFormat | None = None
    is_installed: bool = False
    dependencies: list[StarterModel] | None = None


class StarterModelBundle(ResponseModel):
    """A named set of starter models."""

    name: str
    models: list[StarterModel] = Field(default_factory=list)


class StarterModels(ResponseModel):
    """``GET /api/v2/models/starter_models``: the starter models and the bundles, keyed by name."""

    starter_models: list[StarterModel] = Field(default_factory=list)
    starter_bundles: dict[str, StarterModelBundle] = Field(default_factory=dict)


class BulkDeleteFailure(ResponseModel):
    """A key :meth:`ModelsResource.delete_many` could not delete, with the server's reason."""

    key: str
    error: str


class BulkDeleteResult(ResponseModel):
    """What :meth:`ModelsResource.delete_many` did: the ``deleted`` keys and the ``failed`` ones."""

    deleted: list[str] = Field(default_factory=list)
    failed: list[BulkDeleteFailure] = Field(default_factory=list)


class ModelInstallJobInfo(ResponseModel):
    """A snapshot of a model install job as the server reports it.

    ``status`` is an :class:`InstallStatus` (or the raw string for a state this SDK does not know);
    ``config_out`` is the installed model once ``completed``; ``error_reason`` is the server's
    exception class name and ``error`` its message when the job failed.
    """

    id: int
    status: LenientInstallStatus
    source: dict[str, Any] | str
    error_reason: str | None = None
    error: str | None = None
    error_traceback: str | None = None
    config_in: dict[str, Any] = Field(default_factory=dict)
    config_out: ModelConfig | None = None
    inplace: bool = False
    local_path: str | None = None
    bytes: int = 0
    total_bytes: int = 0
    download_parts: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def source_text(self) -> str:
        """The source as the user gave it: a path, URL or Hugging Face repo id."""
        if isinstance(self.source, str):
            return self.source
        for field in ("path", "url", "repo_id"):
            value = self.source.get(field)
            if value:
                return str(value)
        return str(self.config_in.get("source") or self.source)

    @property
    def is_terminal(self) -> bool:
        """True once the job completed, failed or was cancelled."""
        return str(self.status) in TERMINAL_INSTALL_STATES

    @property
    def already_installed(self) -> bool:
        """True when the server refused the install because the model is already there."""
        return str(self.status) == "error" and self.error_reason == DUPLICATE_ERROR_REASON


class InstallProgress(ResponseModel):
    """How far an install job has got: ``fraction`` is 0..1, or ``None`` while the size is unknown."""

    status: LenientInstallStatus
    bytes: int = 0
    total_bytes: int = 0
    fraction: float | None = None


class InstallResult(ResponseModel):
    """What :meth:`InstallJob.wait` settled on.

    ``model`` is the installed model; when ``already_installed`` is True the server did not install
    anything because the model was there already, and ``model`` is that existing model (``None`` if
    it could not be identified).
    """

    job: ModelInstallJobInfo
    model: ModelConfig | None = None
    already_installed: bool = False


class ModelChanges(RequestModel):
    """Fields to set on a model record (an update, or overrides of probed values at install).

    Unknown field names are rejected before anything is sent. Enum fields accept the enums or raw
    strings (the server validates values it knows and this SDK may not).
    """

    name: str | None = None
    description: str | None = None
    base: BaseModelType | str | None = None
    type: ModelType | str | None = None
    format: ModelFormat | str | None = None
    prediction_type: str | None = None
    upcast_attention: bool | None = None
    config_path: str | None = None
    trigger_phrases: list[str] | None = None
    default_settings: dict[str, Any] | None = None
    source: str | None = None
    source_type: ModelSourceType | str | None = None
    source_url: str | None = None
    path: str | None = None
    key: str | None = None
    hash: str | None = None
    file_size: int | None = None
    cpu_only: bool | None = None
    provider_id: str | None = None
    provider_model_id: str | None = None
    capabilities: dict[str, Any] | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body: only the fields that were set."""
        return self.model_dump(mode="json", exclude_unset=True)


class OrphanedModel(ResponseModel):
    """A folder in the models directory that no installed model uses (left behind by a failed install)."""

    path: str
    absolute_path: str = ""
    files: list[str] = Field(default_factory=list)
    size_bytes: int = 0


class DeleteOrphanedModelsResult(ResponseModel):
    """The orphaned folders deleted, and the error of each one that could not be deleted."""

    deleted: list[str] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict)


class BulkReidentifyResult(ResponseModel):
    """Which models were identified again, and why the others failed."""

    succeeded: list[str] = Field(default_factory=list)
    failed: list[BulkDeleteFailure] = Field(default_factory=list)


class HuggingFaceRepoFiles(ResponseModel):
    """The installable files of a Hugging Face repo (``urls``), or that it is a whole diffusers model."""

    urls: list[str] | None = None
    is_diffusers: bool = False
