import pytest

from chip_ner.evaluation.script_test import other_script


@pytest.mark.parametrize("text,expected", [
    ("英伟达芯片投资约30亿美元", "英偉達芯片投資約30億美元"),
    ("輝達與台積電的晶片", "辉达与台积电的晶片"),
    ("Anthropic与AWS", "Anthropic與AWS"),
])
def test_conversion_keeps_length_and_flips_script(text, expected):
    converted = other_script(text)
    assert converted == expected and len(converted) == len(text)
