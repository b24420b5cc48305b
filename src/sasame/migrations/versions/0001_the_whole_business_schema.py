"""the whole business schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 22:11:07.567412
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("objective", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_campaign")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_ad_campaign_platform_external_id")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_raised_at"), ["raised_at"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("entity_type", sa.String(length=60), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("is_reversible", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "business_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_setting")),
    )
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel")),
        sa.UniqueConstraint("code", name=op.f("uq_channel_code")),
    )
    op.create_table(
        "email_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("flow_name", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_campaign")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_email_campaign_platform_external_id")),
    )
    op.create_table(
        "ground_truth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ground_truth")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_ground_truth_kind_key")),
    )
    with op.batch_alter_table("ground_truth", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ground_truth_kind"), ["kind"], unique=False)

    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("code", name=op.f("uq_location_code")),
    )
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=60), nullable=False),
        sa.Column("natural_key", sa.String(length=300), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint("origin", "natural_key", name=op.f("uq_source_record_origin_natural_key")),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quoted_lead_time_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("name", name=op.f("uq_supplier_name")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    op.create_table(
        "ad_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["ad_campaign.id"], name=op.f("fk_ad_set_campaign_id_ad_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_set")),
        sa.UniqueConstraint("campaign_id", "external_id", name=op.f("uq_ad_set_campaign_id_external_id")),
    )
    with op.batch_alter_table("ad_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_set_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("first_seen_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acquisition_channel_id", sa.Integer(), nullable=True),
        sa.Column("acquisition_source", sa.String(length=60), nullable=True),
        sa.Column("accepts_marketing", sa.Boolean(), nullable=False),
        sa.Column("is_vip", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acquisition_channel_id"],
            ["channel.id"],
            name=op.f("fk_customer_acquisition_channel_id_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_customer_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("email", name=op.f("uq_customer_email")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "email_performance_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_campaign_id", sa.Integer(), nullable=False),
        sa.Column("performance_date", sa.Date(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("unsubscribes", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("revenue", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["email_campaign_id"],
            ["email_campaign.id"],
            name=op.f("fk_email_performance_day_email_campaign_id_email_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_email_performance_day_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_performance_day")),
        sa.UniqueConstraint(
            "email_campaign_id",
            "performance_date",
            name=op.f("uq_email_performance_day_email_campaign_id_performance_date"),
        ),
    )
    with op.batch_alter_table("email_performance_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_performance_day_performance_date"), ["performance_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_email_performance_day_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "payout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("period_start", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_payout_channel_id_channel")),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_payout_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_payout_provider_external_id")),
    )
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_paid_on"), ["paid_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.Column("launched_on", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_product_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("handle", name=op.f("uq_product_handle")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ordered_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("freight_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("duty_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("exchange_rate", sasame.models.base.Amount(), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_purchase_order_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_purchase_order_source_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_order_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_source_record_id"), ["source_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_purchase_order_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "ad",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_set_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("creative", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["ad_set_id"], ["ad_set.id"], name=op.f("fk_ad_ad_set_id_ad_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad")),
        sa.UniqueConstraint("ad_set_id", "external_id", name=op.f("uq_ad_ad_set_id_external_id")),
    )
    with op.batch_alter_table("ad", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_ad_set_id"), ["ad_set_id"], unique=False)

    op.create_table(
        "bank_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payout.id"], name=op.f("fk_bank_transaction_payout_id_payout")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_bank_transaction_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transaction")),
        sa.UniqueConstraint("account", "external_id", name=op.f("uq_bank_transaction_account_external_id")),
    )
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_transaction_posted_on"), ["posted_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bank_transaction_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("ordered_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sasame.models.base.Amount(), nullable=False),
        sa.Column("discount_total", sasame.models.base.Amount(), nullable=False),
        sa.Column("shipping_total", sasame.models.base.Amount(), nullable=False),
        sa.Column("tax_total", sasame.models.base.Amount(), nullable=False),
        sa.Column("total", sasame.models.base.Amount(), nullable=False),
        sa.Column("financial_status", sa.String(length=30), nullable=False),
        sa.Column("fulfillment_status", sa.String(length=30), nullable=False),
        sa.Column("cancelled_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("discount_codes", sa.String(length=200), nullable=True),
        sa.Column("ship_country", sa.String(length=2), nullable=True),
        sa.Column("ship_region", sa.String(length=100), nullable=True),
        sa.Column("ship_city", sa.String(length=100), nullable=True),
        sa.Column("ship_postal_code", sa.String(length=20), nullable=True),
        sa.Column("utm_source", sa.String(length=100), nullable=True),
        sa.Column("utm_medium", sa.String(length=100), nullable=True),
        sa.Column("utm_campaign", sa.String(length=200), nullable=True),
        sa.Column("utm_content", sa.String(length=200), nullable=True),
        sa.Column("utm_term", sa.String(length=200), nullable=True),
        sa.Column("referrer", sa.String(length=500), nullable=True),
        sa.Column("landing_page", sa.String(length=500), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_order_channel_id_channel")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_order_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_order_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order")),
        sa.UniqueConstraint("channel_id", "external_id", name=op.f("uq_order_channel_id_external_id")),
    )
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_number"), ["number"], unique=False)
        batch_op.create_index("ix_order_order_date_channel", ["order_date", "channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("size", sa.String(length=40), nullable=True),
        sa.Column("colour", sa.String(length=60), nullable=True),
        sa.Column("barcode", sa.String(length=40), nullable=True),
        sa.Column("price", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("is_bundle", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("launched_on", sa.Date(), nullable=True),
        sa.Column("discontinued_on", sa.Date(), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_variant_product_id_product")),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_variant_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variant")),
        sa.UniqueConstraint("sku", name=op.f("uq_variant_sku")),
    )
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variant_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_variant_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "ad_spend_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.Integer(), nullable=False),
        sa.Column("spend_date", sa.Date(), nullable=False),
        sa.Column("spend", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("conversion_value", sasame.models.base.Amount(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ad_id"], ["ad.id"], name=op.f("fk_ad_spend_day_ad_id_ad")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_ad_spend_day_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_spend_day")),
        sa.UniqueConstraint("ad_id", "spend_date", name=op.f("uq_ad_spend_day_ad_id_spend_date")),
    )
    with op.batch_alter_table("ad_spend_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ad_spend_day_source_record_id"), ["source_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ad_spend_day_spend_date"), ["spend_date"], unique=False)

    op.create_table(
        "bundle_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_variant_id", sa.Integer(), nullable=False),
        sa.Column("component_variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_variant_id"], ["variant.id"], name=op.f("fk_bundle_component_bundle_variant_id_variant")
        ),
        sa.ForeignKeyConstraint(
            ["component_variant_id"],
            ["variant.id"],
            name=op.f("fk_bundle_component_component_variant_id_variant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_component")),
        sa.UniqueConstraint(
            "bundle_variant_id",
            "component_variant_id",
            name=op.f("uq_bundle_component_bundle_variant_id_component_variant_id"),
        ),
    )
    with op.batch_alter_table("bundle_component", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bundle_component_bundle_variant_id"), ["bundle_variant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bundle_component_component_variant_id"), ["component_variant_id"], unique=False
        )

    op.create_table(
        "chargeback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("opened_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("fee", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_chargeback_order_id_order")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_chargeback_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargeback")),
    )
    with op.batch_alter_table("chargeback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chargeback_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_chargeback_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "marketing_touchpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("medium", sa.String(length=60), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("ad_id", sa.Integer(), nullable=True),
        sa.Column("email_campaign_id", sa.Integer(), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ad_id"], ["ad.id"], name=op.f("fk_marketing_touchpoint_ad_id_ad")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_marketing_touchpoint_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["email_campaign_id"],
            ["email_campaign.id"],
            name=op.f("fk_marketing_touchpoint_email_campaign_id_email_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("fk_marketing_touchpoint_order_id_order")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_marketing_touchpoint_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_touchpoint")),
    )
    with op.batch_alter_table("marketing_touchpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_marketing_touchpoint_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_marketing_touchpoint_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_marketing_touchpoint_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sasame.models.base.Amount(), nullable=False),
        sa.Column("discount", sasame.models.base.Amount(), nullable=False),
        sa.Column("tax", sasame.models.base.Amount(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_order_line_order_id_order")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_order_line_source_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_order_line_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line")),
    )
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_line_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_order_line_source_record_id"), ["source_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_order_line_variant_id"), ["variant_id"], unique=False)

    op.create_table(
        "payout_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fee_type", sa.String(length=60), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_payout_line_order_id_order")),
        sa.ForeignKeyConstraint(["payout_id"], ["payout.id"], name=op.f("fk_payout_line_payout_id_payout")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_payout_line_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_line")),
    )
    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_line_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_line_payout_id"), ["payout_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payout_line_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity_ordered", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sasame.models.base.Amount(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_purchase_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_purchase_order_line_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
    )
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_line_purchase_order_id"), ["purchase_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_purchase_order_line_variant_id"), ["variant_id"], unique=False)

    op.create_table(
        "return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rma_number", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_tracking_number", sa.String(length=60), nullable=True),
        sa.Column("label_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_return_order_id_order")),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_return_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return")),
        sa.UniqueConstraint("rma_number", name=op.f("uq_return_rma_number")),
    )
    with op.batch_alter_table("return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=60), nullable=True),
        sa.Column("tracking_number", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("shipped_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("estimated_delivery_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("label_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_shipment_location_id_location")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_shipment_order_id_order")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_shipment_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_source_record_id"), ["source_record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_tracking_number"), ["tracking_number"], unique=False)

    op.create_table(
        "stock_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("counted_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stock_level_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_stock_level_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_level")),
        sa.UniqueConstraint("variant_id", "location_id", name=op.f("uq_stock_level_variant_id_location_id")),
    )
    with op.batch_alter_table("stock_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_level_variant_id"), ["variant_id"], unique=False)

    op.create_table(
        "supplier_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("supplier_sku", sa.String(length=100), nullable=True),
        sa.Column("unit_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum_order_quantity", sa.Integer(), nullable=False),
        sa.Column("case_pack", sa.Integer(), nullable=False),
        sa.Column("quoted_lead_time_days", sa.Integer(), nullable=False),
        sa.Column("is_preferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_term_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_supplier_term_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_term")),
        sa.UniqueConstraint(
            "supplier_id", "variant_id", name=op.f("uq_supplier_term_supplier_id_variant_id")
        ),
    )
    with op.batch_alter_table("supplier_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_term_supplier_id"), ["supplier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_term_variant_id"), ["variant_id"], unique=False)

    op.create_table(
        "support_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_key", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=30), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("opened_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_support_ticket_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_support_ticket_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_ticket")),
        sa.UniqueConstraint("thread_key", name=op.f("uq_support_ticket_thread_key")),
    )
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_ticket_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("refunded_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("shipping_amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("tax_amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_refund_order_id_order")),
        sa.ForeignKeyConstraint(["return_id"], ["return.id"], name=op.f("fk_refund_return_id_return")),
        sa.ForeignKeyConstraint(
            ["source_record_id"], ["source_record.id"], name=op.f("fk_refund_source_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_source_record_id"), ["source_record_id"], unique=False)

    op.create_table(
        "return_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_line.id"], name=op.f("fk_return_line_order_line_id_order_line")
        ),
        sa.ForeignKeyConstraint(["return_id"], ["return.id"], name=op.f("fk_return_line_return_id_return")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_line")),
    )
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_line_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_line_return_id"), ["return_id"], unique=False)

    op.create_table(
        "support_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("taken_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["support_ticket.id"], name=op.f("fk_support_action_ticket_id_support_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_action")),
    )
    with op.batch_alter_table("support_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_action_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "support_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("in_reply_to", sa.String(length=300), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_support_message_source_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["support_ticket.id"], name=op.f("fk_support_message_ticket_id_support_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_support_message_message_id")),
    )
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_message_source_record_id"), ["source_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_support_message_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "tracking_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipment.id"], name=op.f("fk_tracking_event_shipment_id_shipment")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_tracking_event_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_event")),
    )
    with op.batch_alter_table("tracking_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_event_shipment_id"), ["shipment_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tracking_event_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sasame.models.base.Amount(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("moved_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=True),
        sa.Column("return_line_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stock_movement_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_line.id"], name=op.f("fk_stock_movement_order_line_id_order_line")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_stock_movement_purchase_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"], ["return_line.id"], name=op.f("fk_stock_movement_return_line_id_return_line")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_stock_movement_source_record_id_source_record"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_stock_movement_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
    )
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_movement_source_record_id"), ["source_record_id"], unique=False
        )
        batch_op.create_index("ix_stock_movement_variant_moved", ["variant_id", "moved_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movement_variant_moved")
        batch_op.drop_index(batch_op.f("ix_stock_movement_source_record_id"))

    op.drop_table("stock_movement")
    with op.batch_alter_table("tracking_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_event_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_tracking_event_shipment_id"))

    op.drop_table("tracking_event")
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_message_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_support_message_source_record_id"))

    op.drop_table("support_message")
    with op.batch_alter_table("support_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_action_ticket_id"))

    op.drop_table("support_action")
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_line_return_id"))
        batch_op.drop_index(batch_op.f("ix_return_line_order_line_id"))

    op.drop_table("return_line")
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_refund_order_id"))

    op.drop_table("refund")
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_ticket_customer_id"))

    op.drop_table("support_ticket")
    with op.batch_alter_table("supplier_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_term_variant_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_term_supplier_id"))

    op.drop_table("supplier_term")
    with op.batch_alter_table("stock_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_level_variant_id"))

    op.drop_table("stock_level")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_shipment_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_order_id"))

    op.drop_table("shipment")
    with op.batch_alter_table("return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_return_order_id"))

    op.drop_table("return")
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_variant_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_line_purchase_order_id"))

    op.drop_table("purchase_order_line")
    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_line_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_payout_line_payout_id"))
        batch_op.drop_index(batch_op.f("ix_payout_line_order_id"))

    op.drop_table("payout_line")
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_variant_id"))
        batch_op.drop_index(batch_op.f("ix_order_line_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_order_line_order_id"))

    op.drop_table("order_line")
    with op.batch_alter_table("marketing_touchpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_touchpoint_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_marketing_touchpoint_order_id"))
        batch_op.drop_index(batch_op.f("ix_marketing_touchpoint_customer_id"))

    op.drop_table("marketing_touchpoint")
    with op.batch_alter_table("chargeback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chargeback_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_chargeback_order_id"))

    op.drop_table("chargeback")
    with op.batch_alter_table("bundle_component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bundle_component_component_variant_id"))
        batch_op.drop_index(batch_op.f("ix_bundle_component_bundle_variant_id"))

    op.drop_table("bundle_component")
    with op.batch_alter_table("ad_spend_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_spend_day_spend_date"))
        batch_op.drop_index(batch_op.f("ix_ad_spend_day_source_record_id"))

    op.drop_table("ad_spend_day")
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variant_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_variant_product_id"))

    op.drop_table("variant")
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_source_record_id"))
        batch_op.drop_index("ix_order_order_date_channel")
        batch_op.drop_index(batch_op.f("ix_order_number"))
        batch_op.drop_index(batch_op.f("ix_order_customer_id"))

    op.drop_table("order")
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_transaction_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_bank_transaction_posted_on"))

    op.drop_table("bank_transaction")
    with op.batch_alter_table("ad", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_ad_set_id"))

    op.drop_table("ad")
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_order_source_record_id"))

    op.drop_table("purchase_order")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_source_record_id"))

    op.drop_table("product")
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_payout_paid_on"))

    op.drop_table("payout")
    with op.batch_alter_table("email_performance_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_performance_day_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_email_performance_day_performance_date"))

    op.drop_table("email_performance_day")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_source_record_id"))

    op.drop_table("customer")
    with op.batch_alter_table("ad_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_set_campaign_id"))

    op.drop_table("ad_set")
    op.drop_table("user")
    op.drop_table("supplier")
    op.drop_table("source_record")
    op.drop_table("location")
    with op.batch_alter_table("ground_truth", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ground_truth_kind"))

    op.drop_table("ground_truth")
    op.drop_table("email_campaign")
    op.drop_table("channel")
    op.drop_table("business_setting")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_occurred_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_raised_at"))

    op.drop_table("alert")
    op.drop_table("ad_campaign")
