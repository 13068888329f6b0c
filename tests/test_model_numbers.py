"""chip_ner_model_numbers: a CHIP is extended to the model number written right after it (J32), and
to nothing the guidelines keep outside a chip."""
import pytest

from chip_ner.pipeline.model_numbers import model_number_end
from conftest import blank_zh, through


@pytest.fixture(scope="module")
def nlp():
    return blank_zh("chip_ner_model_numbers")


@pytest.mark.parametrize("text,spans,expected", [
    # glued to a Chinese brand
    ("联发科发布天玑9500，采用3纳米", [("天玑", "CHIP")], [("天玑9500", "CHIP")]),
    ("又推出天玑9500s与天玑8500", [("天玑", "CHIP")], [("天玑9500s", "CHIP")]),
    ("推論晶片天鷹K-1主打邊緣", [("天鷹", "CHIP")], [("天鷹K-1", "CHIP")]),
    ("训练芯片邃思1.0已上线", [("邃思", "CHIP")], [("邃思1.0", "CHIP")]),
    ("推論晶片曜衡NX-700在3奈米", [("曜衡", "CHIP")], [("曜衡NX-700", "CHIP")]),
    # after one space, behind a Latin or digit end
    ("Azure Cobalt 100;谷歌", [("Azure Cobalt", "CHIP")], [("Azure Cobalt 100", "CHIP")]),
    ("新一代Veyron V2单芯片", [("Veyron", "CHIP")], [("Veyron V2", "CHIP")]),
    ("酷睿Ultra 200V系列", [("酷睿Ultra", "CHIP")], [("酷睿Ultra 200V", "CHIP")]),
    ("TPU v5e的成本", [("TPU", "CHIP")], [("TPU v5e", "CHIP")]),
    ("聯發科推出天璣 9400，效能", [("天璣", "CHIP")], [("天璣 9400", "CHIP")]),
    # the model number already a CHIP of its own: one chip name
    ("处理器IP玄铁C930，并于", [("玄铁", "CHIP"), ("C930", "CHIP")], [("玄铁C930", "CHIP")]),
    # a vendor before its model number stays split (J32), whatever it is labelled
    ("晶片鋒芯FX-7的量產", [("鋒芯", "COMPANY"), ("FX-7", "CHIP")], [("鋒芯", "COMPANY"), ("FX-7", "CHIP")]),
    ("英伟达H100", [("英伟达", "COMPANY")], [("英伟达", "COMPANY")]),
    # what stays outside: number formats, racks, years, counts, a word that goes on
    ("深算二号FP16算力", [("深算二号", "CHIP")], [("深算二号", "CHIP")]),
    ("GB200 NVL72机柜", [("GB200", "CHIP")], [("GB200", "CHIP")]),
    ("Computex 2024发布", [("Computex", "CHIP")], [("Computex", "CHIP")]),
    ("采购B200 72颗", [("B200", "CHIP")], [("B200", "CHIP")]),
    ("昇腾910 8卡服务器", [("昇腾910", "CHIP")], [("昇腾910", "CHIP")]),
    ("采购昇腾 2 万颗", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    ("完成昇腾0day适配", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    ("昇腾Atlas 800", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    # another entity over the number: never overlap it
    ("天玑9500 PERSON", [("天玑", "CHIP"), ("9500", "COMPANY")], [("天玑", "CHIP"), ("9500", "COMPANY")]),
    # nothing follows
    ("天玑", [("天玑", "CHIP")], [("天玑", "CHIP")]),
])
def test_a_chip_takes_the_model_number_written_after_it(nlp, text, spans, expected):
    doc = through(nlp, "chip_ner_model_numbers", text, spans)
    assert [(e.text, e.label_) for e in doc.ents] == expected


def test_every_extension_is_recorded(nlp):
    doc = through(nlp, "chip_ner_model_numbers", "处理器IP玄铁C930，天玑9500", [("玄铁", "CHIP"), ("C930", "CHIP"), ("天玑", "CHIP")])
    assert doc.user_data["chip_ner_model_numbers"] == [(5, 7, "CHIP", (5, 11)), (12, 14, "CHIP", (12, 18))]


@pytest.mark.parametrize("text,end,expected", [
    ("天玑9500，", 2, 6),
    ("天玑9500", 2, 6),
    ("Veyron V2单", 6, 9),
    ("Veyron V2X3", 6, None),  # the word goes on: not a model number
    ("天玑", 2, None),
    ("", 0, None),
    ("昇腾HBM3E", 2, None),  # memory and interconnect standards are not CHIP
    ("昇腾PCIe5", 2, None),
    ("天玑9500 8卡", 2, 6),
    ("昇腾910 8卡", 5, None),
])
def test_model_number_end(text, end, expected):
    assert model_number_end(text, end) == expected
