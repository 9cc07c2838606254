"""Orchestration only: text -> face -> voice -> speech -> motion -> render -> media."""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from facespeak import __version__
from facespeak.config import SayOptions
from facespeak.face.detect import detect_face
from facespeak.face.portrait import load_portrait
from facespeak.media.atomic import check_writable
from facespeak.media.audio import write_wav_from
from facespeak.media.encode import VideoWriter
from facespeak.motion.head import HeadStyle
from facespeak.motion.track import (
    MotionOptions,
    build_motion_track,
    fit_track_length,
    frame_count,
    load_motion,
    motion_to_json,
)
from facespeak.render.layout import make_canvas
from facespeak.render.renderer import FaceRenderer
from facespeak.render.watermark import Watermark
from facespeak.speech import iter_speech, list_voices, resolve_voice, synthesize_sentences
from facespeak.speech.shape import scale_voice
from facespeak.speech.utterance import spool_utterance
from facespeak.speech.voices import ENGINES
from facespeak.text import text_to_sentences
from facespeak.types import (
    FaceGeometry,
    MotionTrack,
    Sentence,
    Speech,
    Utterance,
    VoiceParams,
)
from facespeak.voice.face_voice import voice_for_face

if TYPE_CHECKING:
    from facespeak.voice.reference import VoiceProfile

class VoiceReferenceWarning(UserWarning):
    """A ``voice_ref`` recording that works but may give a poor likeness (noise, clipping)."""


Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances."""


@dataclass(frozen=True, eq=False)
class SayResult:
    video_path: Path
    speech: Utterance
    """Timelines and metadata of the speech. Its audio file is temporary and gone
    once ``say`` returns: ask for ``save_audio`` to keep the audio."""
    face: FaceGeometry
    motion: MotionTrack
    voice: VoiceParams = VoiceParams()
    """The voice that spoke, with why (``reason``)."""
    audio_path: Path | None = None
    motion_path: Path | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per stage."""


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def say(portrait: str | Path, text: str, output: str | Path,
        options: SayOptions = SayOptions(), progress: Progress = _no_progress) -> SayResult:
    """Make ``output`` (MP4) in which the face in ``portrait`` speaks ``text``."""
    options.check()
    output = Path(output)
    for path in (output, options.save_audio, options.save_motion):
        if path is not None:
            check_writable(Path(path))
    clock = _Clock()
    # Text, voice and language errors show before any slow work starts.
    _, _, language = resolve_voice(options.voice, options.language)
    sentences = text_to_sentences(text, language, options.ssml)
    with tempfile.TemporaryDirectory(prefix="facespeak-") as work, \
            ThreadPoolExecutor(max_workers=1) as pool:
        spool = Path(work) / "speech.f32"
        if options.voice_ref is not None:
            # A reference recording decides the voice: analysed while the face model loads.
            reference_job = pool.submit(_reference_voice, options, language)
        elif options.voice is not None:
            # A named voice needs no face: synthesis overlaps with loading the face model.
            voice = _named_voice(options)
            speech_job = pool.submit(_spool_speech, sentences, voice, language, spool)
        else:
            pool.submit(_warm_up_speech, language)
        image = load_portrait(portrait)
        face = detect_face(image)
        clock.lap("face")
        if options.voice_ref is not None:
            profile, voice = reference_job.result()
            speech_job = pool.submit(_spool_speech, sentences, voice, language, spool, profile)
        elif options.voice is None:
            voice = scale_voice(voice_for_face(face, image.pixels, language),
                                options.rate, options.pitch)
            speech_job = pool.submit(_spool_speech, sentences, voice, language, spool)
        clock.lap("voice")
        # The renderer's set-up needs only the face: it overlaps with synthesis.
        renderer = FaceRenderer(make_canvas(image, face, options.crop, options.size))
        clock.lap("render_setup")
        speech = speech_job.result()
        clock.lap("speech")
        track = _motion_for(speech, options)
        clock.lap("motion")
        _encode(renderer, track, speech, output, options, progress)
        clock.lap("render_encode")
        if options.save_audio:
            write_wav_from(options.save_audio, speech, _video_samples(speech, track),
                           speech.sample_rate)
    if options.save_motion:
        _write_text(Path(options.save_motion), motion_to_json(track, voice))
    return SayResult(output, speech, face, track, voice, options.save_audio, options.save_motion,
                     clock.laps)


def _warm_up_speech(language: str) -> None:
    """While the face is found: list the installed voices (the face's voice is
    picked among them, and listing Festival's starts a process) and start the
    engines that are slow to start (Festival: 0.35 s) when they speak ``language``."""
    list_voices()
    for engine in ENGINES:
        if any(language.split("-")[0] == spoken.split("-")[0]
               for voice in engine.voices() for spoken in voice.languages):
            engine.warm_up()


def _reference_voice(options: SayOptions, language: str) -> tuple[VoiceProfile, VoiceParams]:
    """The voice stage for ``--voice-ref``: the recording's profile, and the base
    voice and shaping that bring the engine close to it (``convert_speech`` does the rest)."""
    from facespeak.voice.reference import load_voice_profile, voice_params_for

    profile = load_voice_profile(options.voice_ref)
    voice = voice_params_for(profile, language, options.voice)
    if options.pitch != 1.0:  # the re-voicing aims at the pitch the user asked for
        profile = replace(profile, log_f0_mean=profile.log_f0_mean + math.log(options.pitch))
    for warning in profile.warnings:  # usable but poor: say so, do not stop
        warnings.warn(f"voice reference: {warning}", VoiceReferenceWarning, stacklevel=2)
    return profile, scale_voice(voice, options.rate, options.pitch)


def _named_voice(options: SayOptions) -> VoiceParams:
    return scale_voice(VoiceParams(voice=options.voice, reason="--voice"),
                       options.rate, options.pitch)


def speak_text(text: str, options: SayOptions = SayOptions()) -> Speech:
    """Normalise ``text`` (plain or SSML) and synthesise it with the chosen voice and language."""
    _, voice, language = resolve_voice(options.voice, options.language)
    sentences = text_to_sentences(text, language, options.ssml)
    return synthesize_sentences(sentences, voice, language)


def _spool_speech(sentences: list[Sentence], voice: VoiceParams, language: str, path: Path,
                  reference: VoiceProfile | None = None) -> Utterance:
    """Synthesise sentence by sentence straight into ``path``: flat memory for
    any length. With a ``reference``, each sentence is re-voiced toward it."""
    if sentences:  # the last sentence's pause is the utterance's tail instead
        sentences = [*sentences[:-1], replace(sentences[-1], pause_after_s=0.0)]
    pieces = iter_speech(sentences, voice, language, None)
    if reference is not None:
        from facespeak.voice.convert import convert_speech

        pieces = (convert_speech(piece, reference) for piece in pieces)
    return spool_utterance(pieces, path)


def _motion_for(speech: Utterance, options: SayOptions) -> MotionTrack:
    if options.motion is not None:
        track = load_motion(options.motion)
        return fit_track_length(track, frame_count(speech.duration_s, track.fps))
    head = replace(HeadStyle(), scale=options.head_motion)
    return build_motion_track(speech, MotionOptions(fps=options.fps, seed=options.seed, head=head))


def _video_samples(speech: Utterance, track: MotionTrack) -> int:
    """Audio samples lasting exactly as long as the video."""
    return int(round(track.n_frames / track.fps * speech.sample_rate))


def _encode(renderer: FaceRenderer, track: MotionTrack, speech: Utterance, output: Path,
            options: SayOptions, progress: Progress) -> None:
    width, height = renderer.size
    label = Watermark(width, height) if options.label else None
    with VideoWriter(output, width, height, track.fps, speech, speech.sample_rate,
                     metadata=provenance(speech)) as writer:
        for i, frame in enumerate(renderer.frames(track)):
            writer.write(label.apply(frame) if label else frame)
            progress("render", i + 1, track.n_frames)


def provenance(speech: Utterance) -> dict[str, str]:
    """MP4 metadata marking the video as synthetic (kept with or without the label)."""
    return {"comment": f"AI-generated by facespeak {__version__}: synthetic speech "
                       f"({speech.engine}:{speech.voice}) and face animation from one photo"}


def _write_text(path: Path, text: str) -> None:
    from facespeak.media.atomic import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
