"""Dashboard accounts: creating the owner and checking passwords."""

from sasame.accounts.service import authenticate, create_user, hash_password, verify_password

__all__ = ["authenticate", "create_user", "hash_password", "verify_password"]
