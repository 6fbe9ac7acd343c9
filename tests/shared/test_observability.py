from shared.observability import mask_personal_data, mask_ruts_in_text


def test_ruts_in_any_format_are_masked_in_log_text() -> None:
    text = "familia de 12.345.678-5, 9876543-3 y 16666666k"
    masked = mask_ruts_in_text(text)
    assert "12.345.678" not in masked
    assert "9876543" not in masked
    assert "16666666" not in masked
    assert masked.count("**.***.") == 3


def test_nested_log_fields_are_masked() -> None:
    event = mask_personal_data(None, "info", {"event": "x", "data": {"run": ["12.345.678-5"]}})
    assert event["data"]["run"] == ["**.***.678-5"]
