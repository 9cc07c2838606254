"""``facespeak speak`` and the --rate / --pitch options."""

import wave

import numpy as np
import pytest

from facespeak import demo_portrait_path
from facespeak.cli import main
from facespeak.config import SayOptions
from facespeak.errors import FacespeakInputError
from facespeak.evaluate.intelligibility import recognize, word_error_rate
from facespeak.media.audio import read_audio
from facespeak.speak import speak
from facespeak.speech.pitch import track_f0
from facespeak.speech.voices import ESPEAK, FESTIVAL, FLITE

needs_english = pytest.mark.skipif(not (FESTIVAL.voices() or FLITE.available()),
                                   reason="no English engine (festival or flite) installed")
TEXT = "Open the door and bring me the red book."


def read_wav(path):
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnframes()


@needs_english
def test_speak_writes_an_intelligible_wav(tmp_path, capsys):
    out = tmp_path / "hello.wav"
    assert main(["speak", TEXT, "-o", str(out)]) == 0
    rate, frames = read_wav(out)
    assert rate == 22050 and 1.5 < frames / rate < 6
    samples, rate = read_audio(out)
    assert word_error_rate(TEXT, recognize(samples, rate)) <= 0.35
    err = capsys.readouterr().err
    assert f"wrote {out}" in err and "voice " in err and "default" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


@needs_english
def test_speak_rate_and_pitch_change_the_audio(tmp_path):
    plain = speak(TEXT, tmp_path / "a.wav")
    changed = speak(TEXT, tmp_path / "b.wav", rate=1.3, pitch=1.2)
    assert changed.voice.rate == pytest.approx(1.3) and changed.voice.pitch_scale == 1.2
    assert changed.speech.duration_s < 0.9 * plain.speech.duration_s
    f0 = [np.nanmedian(track_f0(r.speech.samples, r.speech.sample_rate)) for r in (plain, changed)]
    assert f0[1] / f0[0] == pytest.approx(1.2, abs=0.06)


@needs_english
def test_speak_with_a_face_takes_the_voice_from_the_face(tmp_path):
    result = speak(TEXT, tmp_path / "face.wav", face=demo_portrait_path())
    assert result.voice.reason.startswith("face:")
    again = speak(TEXT, tmp_path / "face2.wav", face=demo_portrait_path())
    assert again.voice == result.voice  # deterministic


@pytest.mark.skipif(not FLITE.available(), reason="flite is not installed")
def test_speak_with_a_face_and_a_voice_keeps_the_voice(tmp_path):
    forced = speak(TEXT, tmp_path / "forced.wav", voice="flite:awb", face=demo_portrait_path())
    assert forced.speech.voice == "awb" and forced.voice.reason.startswith("--voice, face:")


@pytest.mark.skipif(not ESPEAK.available(), reason="libespeak-ng is not installed")
def test_speak_another_language_with_a_face_and_with_a_voice(tmp_path):
    from facespeak.voice.face_voice import ESPEAK_VARIANTS

    text = "Guten Tag."
    faced = speak(text, tmp_path / "face.wav", language="de", face=demo_portrait_path())
    gender = faced.voice.reason.split()[1]  # "face: female (0.53: ...), voice ..."
    variant = ESPEAK_VARIANTS[gender]
    assert (faced.speech.engine, faced.speech.voice) == ("espeak", f"de+{variant}")
    forced = speak(text, tmp_path / "forced.wav", voice="espeak:de+m1", language="de",
                   face=demo_portrait_path())
    assert forced.speech.voice == "de+m1" and forced.voice.reason.startswith("--voice, face:")


@pytest.mark.skipif(not ESPEAK.available(), reason="libespeak-ng is not installed")
def test_speak_other_languages_and_the_zh_alias(tmp_path):
    result = speak("你好，欢迎。", tmp_path / "zh.wav", language="zh")
    assert (result.speech.engine, result.speech.voice) == ("espeak", "cmn-latn-pinyin")
    assert [w.text for w in result.speech.words] == ["你", "好", "欢", "迎"]


def test_bad_rate_pitch_and_paths_are_one_line_errors(tmp_path, capsys):
    for args in (["--rate", "0"], ["--pitch", "3"]):
        assert main(["speak", "hi", "-o", str(tmp_path / "x.wav"), *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and args[0] in err
    assert main(["speak", "hi", "-o", str(tmp_path / "no" / "x.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(FacespeakInputError, match="--pitch must be between 0.5 and 2"):
        SayOptions(pitch=0.1).check()
    SayOptions(rate=1.5, pitch=0.8).check()
    assert not (tmp_path / "x.wav").exists()
