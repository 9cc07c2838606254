"""Every espeak-ng language speaks, the best engine is chosen per language, and
the phones of a dozen languages all have a viseme (lips stay in sync)."""

import pytest

from facespeak.errors import UnsupportedLanguage
from facespeak.motion.visemes import viseme_class
from facespeak.speech import EspeakEngine, resolve_voice

ESPEAK = EspeakEngine()
needs_espeak = pytest.mark.skipif(not ESPEAK.available(), reason="libespeak-ng is not installed")

SAMPLES = {
    "de": "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Ich möchte Bücher.",
    "fr": "Portez ce vieux whisky au juge blond qui fume. Le cœur a ses raisons.",
    "es": "El veloz murciélago hindú comía feliz cardillo y kiwi. La cigüeña tocaba el saxofón.",
    "it": "Quel vituperabile xenofobo zelante assaggia il whisky ed esclama: alleluja!",
    "ru": "Съешь же ещё этих мягких французских булок, да выпей чаю. Широкая электрификация.",
    "ja": "いろはにほへと ちりぬるを わかよたれそ つねならむ。こんにちは、元気ですか。",
    "cmn": "我能吞下玻璃而不伤身体。今天天气很好，我们去公园散步吧。",
    "ar": "صِفْ خَلْقَ خَوْدٍ كَمِثْلِ الشَّمْسِ إِذْ بَزَغَتْ. مرحبا كيف حالك اليوم؟",
    "hi": "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश। नमस्ते, आप कैसे हैं?",
    "pt": "Luís argüia à Júlia que brações, fé, chá, óxido, pôr, zângão eram palavras. Olá!",
    "nl": "Pa's wijze lynx bezag vroom het fikse aquaduct. Goedemorgen, hoe gaat het met je?",
    "pl": "Pchnąć w tę łódź jeża lub ośm skrzyń fig. Zażółć gęślą jaźń, dzień dobry.",
}


@needs_espeak
def test_a_dozen_languages_speak_only_phones_with_visemes():
    unmapped = {}
    for language, text in SAMPLES.items():
        engine, voice, lang = resolve_voice(None, language)
        assert engine is not None and engine.name == "espeak"
        speech = engine.synthesize(text, voice, lang)
        symbols = {p.symbol for p in speech.phones if p.symbol}
        assert len(symbols) >= 15, f"{language}: only {sorted(symbols)}"
        missing = sorted(s for s in symbols if viseme_class(s) is None)
        if missing:
            unmapped[language] = missing
    assert not unmapped, f"IPA symbols without a viseme: {unmapped}"


# Languages whose espeak-ng rules do not read digits: a word in their own script.
WORDS = {"chr": "ᎣᏏᏲ", "cv": "Салам", "he": "שלום", "nog": "Салам", "qya": "namárië",
         "sjn": "mae govannen", "tk": "salam"}


@needs_espeak
def test_every_espeak_language_resolves_and_speaks():
    languages = sorted({lang for v in ESPEAK.voices() for lang in v.languages})
    assert len(languages) > 100
    silent = []
    for language in languages:
        engine, voice, lang = resolve_voice(None, language)
        if engine.name == "espeak":
            speech = engine.synthesize(WORDS.get(language.split("-")[0], "123"), voice, lang)
            if not any(p.symbol for p in speech.phones) or speech.duration_s < 0.2:
                silent.append(language)
        else:
            assert lang.startswith("en")  # English goes to the best English engine
    assert not silent, f"languages that said nothing: {silent}"


@needs_espeak
def test_zh_is_mandarin_and_unknown_languages_list_the_valid_ones():
    for code in ("zh", "cmn", "zh-CN"):
        engine, voice, _ = resolve_voice(None, code)
        assert (engine.name, voice) == ("espeak", "cmn-latn-pinyin")
    with pytest.raises(UnsupportedLanguage, match="klingon.*languages: af, am, .* in all"):
        resolve_voice(None, "klingon")


def test_viseme_classes_cover_diacritics_and_report_the_unknown():
    assert viseme_class("tʰ") == "alveolar" and viseme_class("mʲ") == "bilabial"
    assert viseme_class("ɔ̃") == "open_back" and viseme_class("ʲ") == "j"
    assert viseme_class("ɽ") == "alveolar"
    assert viseme_class("☃") is None and viseme_class("ˈ") is None
