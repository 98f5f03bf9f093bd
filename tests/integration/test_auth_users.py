"""``ivk.auth.users`` and the account methods of ``ivk.auth`` on the real multi-user server."""

from __future__ import annotations

import uuid

import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

from ..conftest import ServerInfo


async def test_admin_manages_accounts_and_users_manage_themselves(multiuser_server: ServerInfo) -> None:
    url, email, password = (
        multiuser_server.base_url,
        multiuser_server.admin_email,
        multiuser_server.admin_password,
    )
    assert email and password
    async with AsyncInvokeAI(url, email=email, password=password) as admin:
        with pytest.raises(BadRequestError, match="already configured"):
            await admin.auth.setup("second-admin@example.com", "Sup3r-Secret-Pa55!")
        generated = await admin.auth.generate_password()
        assert len(generated) >= 12

        user_email = f"sdk-{uuid.uuid4().hex[:8]}@example.com"
        user = await admin.auth.users.create(user_email, generated, display_name="SDK User")
        try:
            assert user.email == user_email and not user.is_admin and user.is_active
            assert user.user_id in {u.user_id for u in await admin.auth.users.list()}
            assert (await admin.auth.users.get(user.user_id)).display_name == "SDK User"
            renamed = await admin.auth.users.update(user, display_name="Renamed")
            assert renamed.display_name == "Renamed"

            async with AsyncInvokeAI(url, email=user_email, password=generated) as member:
                assert (await member.auth.me()).email == user_email
                with pytest.raises(PermissionDeniedError):
                    await member.auth.users.list()
                me = await member.auth.update_me(display_name="Self-named")
                assert me.display_name == "Self-named"
                new_password = "An0ther-Secret-Pa55!"
                await member.auth.update_me(current_password=generated, new_password=new_password)
                assert (await member.auth.me()).email == user_email  # still signed in after the change
                with pytest.raises(BadRequestError, match="incorrect"):
                    await member.auth.update_me(
                        current_password="wrong-password", new_password="X-Yz12345678!"
                    )
                with pytest.raises(ValidationError, match="current_password"):
                    await member.auth.update_me(new_password="X-Yz12345678!")

            async with AsyncInvokeAI(url, email=user_email, password=new_password) as again:
                assert (await again.auth.me()).display_name == "Self-named"

            disabled = await admin.auth.users.update(user.user_id, is_active=False)
            assert not disabled.is_active
            async with AsyncInvokeAI(url, email=user_email, password=new_password) as locked_out:
                with pytest.raises((AuthenticationError, PermissionDeniedError)):
                    await locked_out.auth.me()
        finally:
            await admin.auth.users.delete(user.user_id)
        with pytest.raises(NotFoundError):
            await admin.auth.users.get(user.user_id)
        with pytest.raises(ValidationError, match="at least one"):
            await admin.auth.users.update(user.user_id)
