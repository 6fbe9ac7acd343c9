"""The files exchanged with the bank: ISO 20022 XML and the CSV *nómina de pago*.

We write pain.001.001.09 (credit transfers out) and the CSV payroll banks also accept, and
read pain.002.001.12 (also .10 and .11: status per transaction) and camt.054.001.08 (debits
booked). The simulator needs the other direction of each, so both directions live here.

Amounts are integer CLP: ISO 4217 gives the peso no minor unit, so a file says `22674`,
never `22674.00`; an incoming amount with a fraction is refused rather than rounded.

Bank input is parsed with defusedxml only (no DTD, no entities, no external references):
a bank message is untrusted input. Writing uses the standard library's ElementTree, which
escapes text; control characters that XML 1.0 cannot carry are dropped from free text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import get_args
from xml.etree.ElementTree import Element, SubElement

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from services.payments.bank import (
    AccountKind,
    DebitEntry,
    DebitNotification,
    Debtor,
    GroupStatus,
    Payee,
    PaymentFile,
    StatusReport,
    TransactionStatus,
    TransactionStatusLine,
    Transfer,
)
from shared.errors import ValidationFailed
from shared.rut import normalize_rut
from shared.tabular import to_csv

PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"
CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
PAIN002_ACCEPTED_NS = frozenset(
    f"urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}" for version in ("10", "11", "12")
)
CURRENCY = "CLP"
# Clearing-system member ids are the bank codes the regulator (ex SBIF, now CMF) assigns.
BANK_CODE_SCHEME = "SBIF"
RUT_SCHEME = "RUT"

PAYROLL_HEADERS = (
    "rut",
    "nombre",
    "banco",
    "tipo_cuenta",
    "numero_cuenta",
    "monto",
    "referencia",
    "glosa",
)
PAYROLL_TOTAL_MARK = "TOTAL"

# Statuses outside our contract's Literal that banks legitimately send, read as their
# nearest equivalent: reconciliation only needs settled / accepted / rejected / pending.
_GROUP_STATUS_ALIASES: dict[str, GroupStatus] = {"ACSC": "ACCP", "ACSP": "ACCP", "ACWC": "ACCP"}
_TRANSACTION_STATUS_ALIASES: dict[str, TransactionStatus] = {
    "ACCC": "ACSC",
    "ACSP": "ACCP",
    "ACWC": "ACCP",
    "ACTC": "PDNG",
    "ACFC": "ACCP",
}
_ACCOUNT_KINDS: frozenset[str] = frozenset(get_args(AccountKind))
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class MensajeBancarioInvalido(ValidationFailed):
    """A bank file or message that cannot be read as what it claims to be."""

    code = "mensaje_bancario_invalido"
    title = "Mensaje bancario no válido"


@dataclass(frozen=True)
class ReceivedPaymentFile:
    """A pain.001 as the bank reads it: the transfers and the totals the sender declared."""

    file: PaymentFile
    declared_count: int
    declared_control_sum: int


def write_pain001(file: PaymentFile) -> bytes:
    """One CstmrCdtTrfInitn with a single PmtInf; BtchBookg false so each transfer is
    booked (and reported in camt.054) on its own."""
    root = Element("Document", xmlns=PAIN001_NS)
    initiation = SubElement(root, "CstmrCdtTrfInitn")
    header = SubElement(initiation, "GrpHdr")
    _text(header, "MsgId", _identifier(file.message_id, "MsgId"))
    _text(header, "CreDtTm", _iso_datetime(file.created_at))
    _text(header, "NbOfTxs", str(file.count))
    _text(header, "CtrlSum", str(file.control_sum))
    initiating = SubElement(header, "InitgPty")
    _text(initiating, "Nm", _free_text(file.debtor.name, 140))
    _organisation_id(initiating, file.debtor.rut)

    info = SubElement(initiation, "PmtInf")
    _text(info, "PmtInfId", _identifier(file.message_id, "PmtInfId"))
    _text(info, "PmtMtd", "TRF")
    _text(info, "BtchBookg", "false")
    _text(info, "NbOfTxs", str(file.count))
    _text(info, "CtrlSum", str(file.control_sum))
    _text(SubElement(info, "ReqdExctnDt"), "Dt", file.execution_date.isoformat())
    debtor = SubElement(info, "Dbtr")
    _text(debtor, "Nm", _free_text(file.debtor.name, 140))
    _organisation_id(debtor, file.debtor.rut)
    _account(SubElement(info, "DbtrAcct"), file.debtor.account_number, kind=None)
    _agent(SubElement(info, "DbtrAgt"), file.debtor.bank_code)
    for transfer in file.transfers:
        _credit_transfer(SubElement(info, "CdtTrfTxInf"), transfer)
    return _serialize(root)


def _credit_transfer(parent: Element, transfer: Transfer) -> None:
    if transfer.amount <= 0:
        raise ValueError(f"monto no positivo en {transfer.end_to_end_id}")
    _text(
        SubElement(parent, "PmtId"), "EndToEndId", _identifier(transfer.end_to_end_id, "EndToEndId")
    )
    _amount(SubElement(parent, "Amt"), "InstdAmt", transfer.amount)
    payee = transfer.payee
    _agent(SubElement(parent, "CdtrAgt"), payee.bank_code)
    creditor = SubElement(parent, "Cdtr")
    _text(creditor, "Nm", _free_text(payee.name, 140))
    person = SubElement(SubElement(SubElement(creditor, "Id"), "PrvtId"), "Othr")
    _text(person, "Id", rut_with_dash(payee.rut))
    _text(SubElement(person, "SchmeNm"), "Prtry", RUT_SCHEME)
    _account(SubElement(parent, "CdtrAcct"), payee.account_number, kind=payee.account_kind)
    _text(SubElement(parent, "RmtInf"), "Ustrd", _free_text(transfer.remittance, 140))


def _organisation_id(parent: Element, rut: str) -> None:
    other = SubElement(SubElement(SubElement(parent, "Id"), "OrgId"), "Othr")
    _text(other, "Id", rut_with_dash(rut))
    _text(SubElement(other, "SchmeNm"), "Prtry", RUT_SCHEME)


def _account(parent: Element, number: str, *, kind: AccountKind | None) -> None:
    if not number or len(number) > 34:
        raise ValueError("número de cuenta vacío o de más de 34 caracteres")
    _text(SubElement(SubElement(parent, "Id"), "Othr"), "Id", number)
    if kind is not None:
        _text(SubElement(parent, "Tp"), "Prtry", kind)


def _agent(parent: Element, bank_code: str) -> None:
    member = SubElement(SubElement(parent, "FinInstnId"), "ClrSysMmbId")
    _text(SubElement(member, "ClrSysId"), "Prtry", BANK_CODE_SCHEME)
    _text(member, "MmbId", _identifier(bank_code, "código de banco"))


def write_payroll_csv(file: PaymentFile) -> bytes:
    """The *nómina de pago*: one row per transfer, then a control row.

    The control row comes last so the file still opens as a plain table: `rut` says
    `TOTAL`, `monto` carries the control sum, `referencia` the file's MsgId and `glosa`
    the number of transfers. Cells are neutralised against formula injection.
    """
    rows: list[list[object]] = [
        [
            rut_with_dash(t.payee.rut),
            t.payee.name,
            t.payee.bank_code,
            t.payee.account_kind,
            t.payee.account_number,
            t.amount,
            t.end_to_end_id,
            t.remittance,
        ]
        for t in file.transfers
    ]
    rows.append(
        [
            PAYROLL_TOTAL_MARK,
            "",
            "",
            "",
            "",
            file.control_sum,
            file.message_id,
            f"{file.count} transferencias",
        ]
    )
    return to_csv(PAYROLL_HEADERS, rows)


def write_pain002(report: StatusReport, *, created_at: datetime | None = None) -> bytes:
    """A CstmrPmtStsRpt answering one pain.001 with a single PmtInf (ours: PmtInfId is
    the file's MsgId). A group reason is written when every rejection shares one code."""
    root = Element("Document", xmlns=PAIN002_NS)
    status_report = SubElement(root, "CstmrPmtStsRpt")
    header = SubElement(status_report, "GrpHdr")
    _text(header, "MsgId", _identifier(report.message_id, "MsgId"))
    _text(header, "CreDtTm", _iso_datetime(created_at or datetime.now(UTC)))
    original = SubElement(status_report, "OrgnlGrpInfAndSts")
    _text(original, "OrgnlMsgId", _identifier(report.original_message_id, "OrgnlMsgId"))
    _text(original, "OrgnlMsgNmId", "pain.001.001.09")
    if report.original_count is not None:
        _text(original, "OrgnlNbOfTxs", str(report.original_count))
    if report.original_control_sum is not None:
        _text(original, "OrgnlCtrlSum", str(report.original_control_sum))
    if report.group_status is not None:
        _text(original, "GrpSts", report.group_status)
    if report.group_reason_code is not None or report.group_reason_text is not None:
        _reason(original, report.group_reason_code, report.group_reason_text)
    elif report.group_status == "RJCT":
        reasons = {(t.reason_code, t.reason_text) for t in report.transactions}
        if len(reasons) == 1:
            code, text = reasons.pop()
            _reason(original, code, text)
    if not report.transactions:
        return _serialize(root)
    payment_info = SubElement(status_report, "OrgnlPmtInfAndSts")
    _text(payment_info, "OrgnlPmtInfId", report.original_message_id)
    for line in report.transactions:
        transaction = SubElement(payment_info, "TxInfAndSts")
        _text(transaction, "OrgnlEndToEndId", _identifier(line.end_to_end_id, "EndToEndId"))
        _text(transaction, "TxSts", line.status)
        _reason(transaction, line.reason_code, line.reason_text)
    return _serialize(root)


def _reason(parent: Element, code: str | None, text: str | None) -> None:
    if code is None and text is None:
        return
    reason = SubElement(parent, "StsRsnInf")
    if code is not None:
        _text(SubElement(reason, "Rsn"), "Cd", code)
    if text is not None:
        _text(reason, "AddtlInf", _free_text(text, 105))


def write_camt054(
    notification: DebitNotification, *, account: Debtor, created_at: datetime | None = None
) -> bytes:
    """A BkToCstmrDbtCdtNtfctn: one booked DBIT entry per transfer on the debtor account,
    bank transaction code PMNT/ICDT/DMCT (domestic credit transfer issued)."""
    created = _iso_datetime(created_at or datetime.now(UTC))
    root = Element("Document", xmlns=CAMT054_NS)
    message = SubElement(root, "BkToCstmrDbtCdtNtfctn")
    header = SubElement(message, "GrpHdr")
    _text(header, "MsgId", _identifier(notification.message_id, "MsgId"))
    _text(header, "CreDtTm", created)
    body = SubElement(message, "Ntfctn")
    _text(body, "Id", notification.message_id)
    _text(body, "CreDtTm", created)
    debtor_account = SubElement(body, "Acct")
    _text(SubElement(SubElement(debtor_account, "Id"), "Othr"), "Id", account.account_number)
    _text(debtor_account, "Ccy", CURRENCY)
    servicer = SubElement(SubElement(debtor_account, "Svcr"), "FinInstnId")
    member = SubElement(servicer, "ClrSysMmbId")
    _text(SubElement(member, "ClrSysId"), "Prtry", BANK_CODE_SCHEME)
    _text(member, "MmbId", account.bank_code)
    for entry in notification.entries:
        _debit_entry(SubElement(body, "Ntry"), entry)
    return _serialize(root)


def _debit_entry(parent: Element, entry: DebitEntry) -> None:
    _text(parent, "NtryRef", _identifier(entry.bank_reference, "NtryRef"))
    _text(parent, "Amt", str(entry.amount), Ccy=CURRENCY)
    _text(parent, "CdtDbtInd", "DBIT")
    _text(SubElement(parent, "Sts"), "Cd", "BOOK")
    _text(SubElement(parent, "BookgDt"), "Dt", entry.booking_date.isoformat())
    _text(SubElement(parent, "ValDt"), "Dt", entry.booking_date.isoformat())
    _text(parent, "AcctSvcrRef", _identifier(entry.bank_reference, "AcctSvcrRef"))
    domain = SubElement(SubElement(parent, "BkTxCd"), "Domn")
    _text(domain, "Cd", "PMNT")
    family = SubElement(domain, "Fmly")
    _text(family, "Cd", "ICDT")
    _text(family, "SubFmlyCd", "DMCT")
    details = SubElement(SubElement(SubElement(parent, "NtryDtls"), "TxDtls"), "Refs")
    _text(details, "AcctSvcrRef", entry.bank_reference)
    _text(details, "EndToEndId", _identifier(entry.end_to_end_id, "EndToEndId"))


def parse_pain001(content: bytes) -> ReceivedPaymentFile:
    """Read a pain.001.001.09 as the bank does: one PmtInf, CLP, totals as declared."""
    doc = _Document.parse(content, {PAIN001_NS}, "CstmrCdtTrfInitn", "pain.001")
    header = doc.one(doc.root, "GrpHdr")
    infos = doc.all(doc.root, "PmtInf")
    if len(infos) != 1:
        raise MensajeBancarioInvalido(f"pain.001: se esperaba un PmtInf y hay {len(infos)}")
    info = infos[0]
    debtor = Debtor(
        name=doc.text(info, "Dbtr/Nm"),
        rut=doc.text(info, "Dbtr/Id/OrgId/Othr/Id"),
        bank_code=doc.text(info, "DbtrAgt/FinInstnId/ClrSysMmbId/MmbId"),
        account_number=doc.text(info, "DbtrAcct/Id/Othr/Id"),
    )
    transfers = tuple(_received_transfer(doc, el) for el in doc.all(info, "CdtTrfTxInf"))
    if not transfers:
        raise MensajeBancarioInvalido("pain.001: el archivo no trae transferencias")
    return ReceivedPaymentFile(
        file=PaymentFile(
            message_id=doc.text(header, "MsgId"),
            created_at=doc.datetime(header, "CreDtTm"),
            execution_date=doc.date(info, "ReqdExctnDt/Dt"),
            debtor=debtor,
            transfers=transfers,
        ),
        declared_count=doc.integer(header, "NbOfTxs"),
        declared_control_sum=doc.amount(header, "CtrlSum"),
    )


def _received_transfer(doc: _Document, element: Element) -> Transfer:
    end_to_end_id = doc.text(element, "PmtId/EndToEndId")
    kind = doc.text(element, "CdtrAcct/Tp/Prtry")
    if kind not in _ACCOUNT_KINDS:
        raise MensajeBancarioInvalido(
            f"pain.001: tipo de cuenta desconocido «{kind}» en {end_to_end_id}"
        )
    return Transfer(
        end_to_end_id=end_to_end_id,
        amount=doc.money(element, "Amt/InstdAmt"),
        payee=Payee(
            rut=doc.text(element, "Cdtr/Id/PrvtId/Othr/Id"),
            name=doc.text(element, "Cdtr/Nm"),
            bank_code=doc.text(element, "CdtrAgt/FinInstnId/ClrSysMmbId/MmbId"),
            account_kind=kind,  # type: ignore[arg-type]  # checked against the Literal above
            account_number=doc.text(element, "CdtrAcct/Id/Othr/Id"),
        ),
        remittance=" ".join(doc.texts(element, "RmtInf/Ustrd")),
    )


def parse_pain002(content: bytes) -> StatusReport:
    """A status report: statuses outside our contract are mapped to their nearest one."""
    doc = _Document.parse(content, PAIN002_ACCEPTED_NS, "CstmrPmtStsRpt", "pain.002")
    original = doc.one(doc.root, "OrgnlGrpInfAndSts")
    group_code = doc.optional_text(original, "GrpSts")
    count = doc.optional_text(original, "OrgnlNbOfTxs")
    control_sum = doc.find(original, "OrgnlCtrlSum")
    lines = tuple(
        _status_line(doc, element)
        for info in doc.all(doc.root, "OrgnlPmtInfAndSts")
        for element in doc.all(info, "TxInfAndSts")
    )
    group_reason = doc.find(original, "StsRsnInf")
    group_reason_code = group_reason_text = None
    if group_reason is not None:
        group_reason_code = doc.optional_text(group_reason, "Rsn/Cd") or doc.optional_text(
            group_reason, "Rsn/Prtry"
        )
        group_reason_text = " ".join(doc.texts(group_reason, "AddtlInf")) or None
    return StatusReport(
        message_id=doc.text(doc.one(doc.root, "GrpHdr"), "MsgId"),
        original_message_id=doc.text(original, "OrgnlMsgId"),
        group_status=None if group_code is None else _group_status(group_code),
        original_count=None if count is None else doc.integer(original, "OrgnlNbOfTxs"),
        original_control_sum=(
            None if control_sum is None else doc.amount(original, "OrgnlCtrlSum")
        ),
        transactions=lines,
        group_reason_code=group_reason_code,
        group_reason_text=group_reason_text,
    )


def _status_line(doc: _Document, element: Element) -> TransactionStatusLine:
    end_to_end_id = doc.text(element, "OrgnlEndToEndId")
    code = doc.optional_text(element, "TxSts")
    if code is None:
        raise MensajeBancarioInvalido(f"pain.002: la transacción {end_to_end_id} no trae TxSts")
    reason = doc.find(element, "StsRsnInf")
    reason_code = reason_text = None
    if reason is not None:
        reason_code = doc.optional_text(reason, "Rsn/Cd") or doc.optional_text(reason, "Rsn/Prtry")
        reason_text = " ".join(doc.texts(reason, "AddtlInf")) or None
    return TransactionStatusLine(
        end_to_end_id=end_to_end_id,
        status=_transaction_status(code, end_to_end_id),
        reason_code=reason_code,
        reason_text=reason_text,
    )


def _group_status(code: str) -> GroupStatus:
    if code in get_args(GroupStatus):
        return code  # type: ignore[return-value]  # membership checked
    if code in _GROUP_STATUS_ALIASES:
        return _GROUP_STATUS_ALIASES[code]
    raise MensajeBancarioInvalido(f"pain.002: estado de grupo desconocido «{code}»")


def _transaction_status(code: str, end_to_end_id: str) -> TransactionStatus:
    if code in get_args(TransactionStatus):
        return code  # type: ignore[return-value]  # membership checked
    if code in _TRANSACTION_STATUS_ALIASES:
        return _TRANSACTION_STATUS_ALIASES[code]
    raise MensajeBancarioInvalido(
        f"pain.002: estado desconocido «{code}» en la transacción {end_to_end_id}"
    )


def parse_camt054(content: bytes) -> DebitNotification:
    """Booked debits, one per transfer. Credits (e.g. a returned transfer) are not debits
    and are left out: rejections reach reconciliation through pain.002."""
    doc = _Document.parse(content, {CAMT054_NS}, "BkToCstmrDbtCdtNtfctn", "camt.054")
    notifications = doc.all(doc.root, "Ntfctn")
    if not notifications:
        raise MensajeBancarioInvalido("camt.054: falta el elemento Ntfctn")
    entries = tuple(
        _debit(doc, element)
        for notification in notifications
        for element in doc.all(notification, "Ntry")
        if doc.text(element, "CdtDbtInd") == "DBIT"
    )
    return DebitNotification(
        message_id=doc.text(doc.one(doc.root, "GrpHdr"), "MsgId"), entries=entries
    )


def _debit(doc: _Document, element: Element) -> DebitEntry:
    references = doc.all(element, "NtryDtls/TxDtls/Refs")
    if len(references) != 1:
        raise MensajeBancarioInvalido(
            f"camt.054: cada movimiento debe traer una transacción y trae {len(references)}"
        )
    booking = doc.optional_text(element, "BookgDt/Dt")
    return DebitEntry(
        end_to_end_id=doc.text(references[0], "EndToEndId"),
        amount=doc.money(element, "Amt"),
        booking_date=(
            doc.date(element, "BookgDt/Dt")
            if booking is not None
            else doc.datetime(element, "BookgDt/DtTm").date()
        ),
        bank_reference=(
            doc.optional_text(element, "AcctSvcrRef") or doc.text(references[0], "AcctSvcrRef")
        ),
    )


def rut_with_dash(rut: str) -> str:
    """`12.345.678-5` or `123456785` → `12345678-5`, the form banks expect in files."""
    compact = normalize_rut(rut)
    return f"{compact[:-1]}-{compact[-1]}"


def _text(parent: Element, tag: str, value: str, **attributes: str) -> Element:
    element = SubElement(parent, tag, attributes)
    element.text = value
    return element


def _identifier(value: str, what: str) -> str:
    if not value or len(value) > 35 or _XML_FORBIDDEN.search(value):
        raise ValueError(f"{what} debe tener entre 1 y 35 caracteres válidos")
    return value


def _free_text(value: str, limit: int) -> str:
    cleaned = _XML_FORBIDDEN.sub("", value).strip()
    return cleaned[:limit] or "-"


def _iso_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("la fecha y hora debe indicar su zona horaria")
    return moment.isoformat(timespec="seconds")


def _amount(parent: Element, tag: str, pesos: int) -> None:
    _text(parent, tag, str(pesos), Ccy=CURRENCY)


def _serialize(root: Element) -> bytes:
    serialized: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return serialized


class _Document:
    """A parsed bank message with Spanish errors that name the missing or wrong piece."""

    def __init__(self, root: Element, namespace: str, label: str) -> None:
        self.root = root
        self.namespace = namespace
        self.label = label

    @classmethod
    def parse(
        cls, content: bytes, namespaces: Iterable[str], message_tag: str, label: str
    ) -> _Document:
        try:
            document = SafeET.fromstring(content, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise MensajeBancarioInvalido(
                f"{label}: el XML trae DTD o entidades, que no se aceptan"
            ) from exc
        except ET.ParseError as exc:
            raise MensajeBancarioInvalido(f"{label}: XML mal formado ({exc})") from exc
        except (LookupError, ValueError) as exc:  # an encoding nobody knows, and the like
            raise MensajeBancarioInvalido(f"{label}: XML ilegible ({exc})") from exc
        namespace, _, local = document.tag[1:].partition("}")
        if local != "Document" or namespace not in set(namespaces):
            raise MensajeBancarioInvalido(
                f"{label}: el documento no es {label} (raíz «{document.tag}»)"
            )
        parsed = cls(document, namespace, label)
        parsed.root = parsed.one(document, message_tag)
        return parsed

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{part}" for part in path.split("/"))

    def find(self, parent: Element, path: str) -> Element | None:
        return parent.find(self._path(path))

    def all(self, parent: Element, path: str) -> list[Element]:
        return parent.findall(self._path(path))

    def one(self, parent: Element, path: str) -> Element:
        element = self.find(parent, path)
        if element is None:
            raise MensajeBancarioInvalido(f"{self.label}: falta el elemento {path}")
        return element

    def optional_text(self, parent: Element, path: str) -> str | None:
        element = self.find(parent, path)
        if element is None:
            return None
        return (element.text or "").strip() or None

    def text(self, parent: Element, path: str) -> str:
        value = self.optional_text(parent, path)
        if value is None:
            raise MensajeBancarioInvalido(f"{self.label}: falta el elemento {path} o está vacío")
        return value

    def texts(self, parent: Element, path: str) -> Iterator[str]:
        for element in self.all(parent, path):
            if element.text and element.text.strip():
                yield element.text.strip()

    def integer(self, parent: Element, path: str) -> int:
        value = self.text(parent, path)
        if not value.isdigit():
            raise MensajeBancarioInvalido(f"{self.label}: {path} no es un número entero")
        return int(value)

    def amount(self, parent: Element, path: str) -> int:
        value = self.text(parent, path)
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise MensajeBancarioInvalido(f"{self.label}: {path} no es un monto") from exc
        if not number.is_finite() or number != number.to_integral_value() or number < 0:
            raise MensajeBancarioInvalido(
                f"{self.label}: {path} = {value} no es un monto en pesos enteros"
            )
        return int(number)

    def money(self, parent: Element, path: str) -> int:
        """An amount with its currency, which must be CLP."""
        currency = self.one(parent, path).get("Ccy")
        if currency != CURRENCY:
            raise MensajeBancarioInvalido(
                f"{self.label}: {path} en moneda «{currency}», se esperaba {CURRENCY}"
            )
        return self.amount(parent, path)

    def date(self, parent: Element, path: str) -> date:
        value = self.text(parent, path)
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise MensajeBancarioInvalido(f"{self.label}: {path} no es una fecha válida") from exc

    def datetime(self, parent: Element, path: str) -> datetime:
        value = self.text(parent, path)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise MensajeBancarioInvalido(
                f"{self.label}: {path} no es una fecha y hora válida"
            ) from exc
        if moment.tzinfo is None:
            raise MensajeBancarioInvalido(f"{self.label}: {path} no indica zona horaria")
        return moment
