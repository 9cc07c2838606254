"""Speech spooled to disk sentence by sentence must equal speech joined in memory."""

from __future__ import annotations

import numpy as np
import pytest

from facespeak.motion.track import build_motion_track, energy_per_frame
from facespeak.motion.visemes import mouth_channels
from facespeak.speech import FakeEngine, iter_speech, synthesize_sentences
from facespeak.speech.utterance import spool_utterance
from facespeak.types import Phone, Sentence

SENTENCES = [Sentence("the quick brown fox", 0.3), Sentence("jumps over", 0.5),
             Sentence("the lazy dog", 0.0)]


@pytest.fixture
def pair(tmp_path):
    engine = FakeEngine()
    joined = synthesize_sentences(SENTENCES, None, None, 16000, engine=engine)
    spooled = spool_utterance(iter_speech(SENTENCES, None, None, 16000, engine=engine),
                              tmp_path / "speech.f32")
    return joined, spooled


def test_spooled_audio_and_timelines_equal_the_joined_ones(pair):
    joined, spooled = pair
    assert spooled.n_samples == len(joined.samples)
    np.testing.assert_allclose(spooled.read(0, spooled.n_samples), joined.samples, atol=1e-6)
    assert _same_timeline(spooled.phones, joined.phones)
    assert _same_timeline(spooled.words, joined.words)


def _same_timeline(a, b) -> bool:
    return len(a) == len(b) and all(
        x.start_s == pytest.approx(y.start_s, abs=1e-9) and x.end_s == pytest.approx(y.end_s, abs=1e-9)
        and getattr(x, "symbol", getattr(x, "text", None)) == getattr(y, "symbol", getattr(y, "text", None))
        for x, y in zip(a, b))


def test_reading_past_the_end_gives_silence(pair):
    _, spooled = pair
    tail = spooled.read(spooled.n_samples - 10, spooled.n_samples + 100)
    assert len(tail) == 110 and not tail[10:].any()


def test_spooled_loudness_drives_the_same_motion(pair):
    joined, spooled = pair
    n = 60
    np.testing.assert_allclose(energy_per_frame(spooled, n, 25), energy_per_frame(joined, n, 25),
                               atol=1e-5)
    a, b = build_motion_track(joined), build_motion_track(spooled)
    assert all(np.array_equal(a.channels[k], b.channels[k]) for k in a.channels)


def test_mouth_blending_is_local_so_long_texts_stay_linear():
    # One phone far away must not change frames here, and a long timeline is cheap.
    near = [Phone("", 0.0, 0.5), Phone("a", 0.5, 0.7), Phone("", 0.7, 4.0),
            Phone("a", 4.0, 4.1), Phone("", 4.1, 5.0)]
    far = near[:3] + [Phone("m", 4.0, 4.1)] + near[4:]
    times = np.arange(0, 1.0, 0.04)
    a, b = mouth_channels(tuple(near), times), mouth_channels(tuple(far), times)
    assert np.allclose(a["jaw_open"], b["jaw_open"], atol=1e-4)
    assert a["jaw_open"].max() > 0.3
    long = tuple(Phone("a" if i % 2 else "m", i * 0.1, i * 0.1 + 0.1) for i in range(36000))
    channels = mouth_channels(long, np.arange(0, 3600, 0.04))
    assert channels["jaw_open"].shape == (90000,)
