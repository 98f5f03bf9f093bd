"""Typed models of what the server sends and accepts, grouped by namespace."""

from .app import AppVersion, AuthStatus, CacheStatus, HealthReport, LoginResult, RuntimeConfig, User

__all__ = ["AppVersion", "AuthStatus", "CacheStatus", "HealthReport", "LoginResult", "RuntimeConfig", "User"]
