"""``python -m invokeai_sdk``: the ``invokeai-sdk`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
