"""Understanding a customer message: intent with calibrated confidence, entities, sentiment, urgency.

Public API::

    understand(subject, body, catalog=None) -> Understanding

Offline by default: the intent model is shipped with the package (``model/``) and loaded once.
"""

from __future__ import annotations

from sasame.support.understanding.adaptation import store_memory
from sasame.support.understanding.api import INTENTS, Understanding, understand
from sasame.support.understanding.entities import (
    Catalog,
    CatalogMention,
    CatalogVariant,
    OrderReference,
    email_address,
)
from sasame.support.understanding.intents import StoreMemory

__all__ = [
    "INTENTS",
    "Catalog",
    "CatalogMention",
    "CatalogVariant",
    "OrderReference",
    "StoreMemory",
    "Understanding",
    "email_address",
    "store_memory",
    "understand",
]
