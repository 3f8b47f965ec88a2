"""WeChat Pay (seed §9, P1-P7): merchant accounts with their custodian and encrypted credentials,
the requests that open, change or close them (P2), the application form that enables an employee
(P3), budget lines, payments (integer fen, P4 P5), a leader's raised limit for one day (P5),
anomaly reports that lock an account (P6), the reconciled (archived) days with their anomalies
(P3 P6) and the monthly inspection checklist (P7).

Credentials (the API key, the certificate and its private key) are stored only as Fernet tokens
(cms/keys.py, as channel secrets): only `credentials()` decrypts them, for the Pay client."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms import workdays
from cms.channels.models import decrypt, encrypt
from cms.dbtypes import UTCDateTime
from cms.extensions import db

ACCOUNT_STATES = ("active", "closed")
REQUEST_KINDS = ("open", "change", "close")
REQUEST_STATES = ("requested", "approved", "refused")
ENROLMENT_STATES = ("filed", "enabled", "refused")
REPORT_KINDS = ("anomaly", "leaked_password")
DAY_STATES = ("open", "reconciled")
SECRET_FIELDS = ("api_key", "cert_pem", "key_pem")


class PayAccount(db.Model):
    """One WeChat Pay merchant account (商户号) and the person who holds it (P1)."""

    __tablename__ = "pay_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    mch_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(64), default="")
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The department the account serves: its leader in charge may raise the day's limit (P5).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    daily_limit_fen: Mapped[int | None]  # None: CMS_PAYMENT_DAILY_LIMIT_FEN (P5)
    state: Mapped[str] = mapped_column(String(16), default="active")
    api_key_enc: Mapped[str | None] = mapped_column(Text)
    cert_pem_enc: Mapped[str | None] = mapped_column(Text)
    key_pem_enc: Mapped[str | None] = mapped_column(Text)
    # P6: set by an anomaly report, cleared by finance; payments refuse while it is set.
    locked: Mapped[bool] = mapped_column(default=False)
    # Bumped by every operation that sums the day's payments: the UPDATE is the write lock on
    # SQLite (PostgreSQL takes SELECT ... FOR UPDATE), so two payments cannot both take the last room.
    lock_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    custodian = relationship("User", foreign_keys=[custodian_id])
    department = relationship("Department")

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_enc)

    @property
    def has_cert(self) -> bool:
        return bool(self.cert_pem_enc)

    def set_secret(self, name: str, value: str | None) -> None:
        """A new value is stored encrypted; blank keeps the stored one."""
        if value:
            setattr(self, f"{name}_enc", encrypt(value))

    def credentials(self):
        """The Pay client's credentials in clear: for cms.payments.execution only."""
        from cms.platforms.pay import PayCredentials

        def pem(enc):
            return decrypt(enc).encode("utf-8") if enc else None

        return PayCredentials(app_id=self.app_id, mch_id=self.mch_id,
                              api_key=decrypt(self.api_key_enc) if self.api_key_enc else "",
                              cert_pem=pem(self.cert_pem_enc), key_pem=pem(self.key_pem_enc))

    def __repr__(self) -> str:  # never the credentials
        return f"<PayAccount {self.id} {self.name}>"


class PayAccountRequest(db.Model):
    """Opening, changing or closing an account (P2): nothing changes until finance approves."""

    __tablename__ = "pay_account_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)  # name, mch_id, app_id, custodian_id, daily_limit_fen
    api_key_enc: Mapped[str | None] = mapped_column(Text)
    cert_pem_enc: Mapped[str | None] = mapped_column(Text)
    key_pem_enc: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default="requested", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    account: Mapped[PayAccount | None] = relationship()
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class PayEnrolment(db.Model):
    """微信支付申请表 (P3): an employee asks to pay from an account; finance enables or refuses."""

    __tablename__ = "pay_enrolment"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default="filed", index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    account: Mapped[PayAccount] = relationship()
    user = relationship("User", foreign_keys=[user_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class BudgetLine(db.Model):
    """A budget line of one account for one year (P4): payments drawn on it may not pass its amount."""

    __tablename__ = "pay_budget_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int]

    account: Mapped[PayAccount] = relationship()
    __table_args__ = (UniqueConstraint("account_id", "year", "name", name="uq_pay_budget_line"),)


class Payment(db.Model):
    """One payment out of an account (P4 P5), in integer fen. `day` is its planned day in
    CMS_TIMEZONE: the day whose limit it counts against and whose bill reconciles it."""

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    amount_fen: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500))
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("pay_budget_line.id"), index=True)
    payee_name: Mapped[str] = mapped_column(String(64))
    payee_openid: Mapped[str] = mapped_column(String(64), default="")
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(12), default="planned", index=True)
    method: Mapped[str] = mapped_column(String(12), default="")  # transfer | manual
    payment_no: Mapped[str] = mapped_column(String(64), default="")  # WeChat's, or the app's reference
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    account: Mapped[PayAccount] = relationship()
    payer = relationship("User", foreign_keys=[payer_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])
    budget_line: Mapped[BudgetLine] = relationship()

    @property
    def partner_trade_no(self) -> str:
        """Our idempotency key for the transfer: the same for every retry."""
        return f"CMSPAY{self.id:010d}"


class LimitOverride(db.Model):
    """A leader raises one account's limit for one day (P5), naming the case; it ends with the day."""

    __tablename__ = "pay_limit_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    limit_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(16))  # major_activity | emergency
    note: Mapped[str] = mapped_column(String(500))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    account: Mapped[PayAccount] = relationship()
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_pay_limit_override"),)


class AnomalyReport(db.Model):
    """An employee's report of an anomaly or a leaked password (P6): it locks the account's
    payments until finance clears it."""

    __tablename__ = "pay_anomaly_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(1000))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | cleared
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=workdays.now)

    account: Mapped[PayAccount] = relationship()
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    cleared_by = relationship("User", foreign_keys=[cleared_by_id])


class PayDay(db.Model):
    """One account's day as finance reconciled it (P3): reconciled means archived, and nothing of
    that account-day changes any more (409)."""

    __tablename__ = "pay_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="open")
    source: Mapped[str] = mapped_column(String(16), default="")  # download | upload
    bill_lines: Mapped[list] = mapped_column(JSON, default=list)  # the outgoing lines as matched
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reconciled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[PayAccount] = relationship()
    reconciled_by = relationship("User", foreign_keys=[reconciled_by_id])
    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_pay_day"),)


class PayAnomaly(db.Model):
    """What reconciliation found (P6): finance resolves each with a note before the day closes."""

    __tablename__ = "pay_anomaly"
    id: Mapped[int] = mapped_column(primary_key=True)
    pay_day_id: Mapped[int] = mapped_column(ForeignKey("pay_day.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | resolved
    note: Mapped[str] = mapped_column(String(500), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    pay_day: Mapped[PayDay] = relationship()
    payment: Mapped[Payment | None] = relationship()
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])


class InspectionCheck(db.Model):
    """P6 P7: finance's monthly inspection of an account, item by item."""

    __tablename__ = "pay_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pay_account.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    items: Mapped[dict] = mapped_column(JSON, default=dict)  # item code -> True
    note: Mapped[str] = mapped_column(String(500), default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[PayAccount] = relationship()
    checked_by = relationship("User", foreign_keys=[checked_by_id])
    __table_args__ = (UniqueConstraint("account_id", "month", name="uq_pay_inspection"),)
