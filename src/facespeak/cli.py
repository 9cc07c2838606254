"""Command line: argument parsing only, then the public API.

Exit status: 0 ok, 2 bad input (one-line message), 1 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from facespeak import __version__
from facespeak.errors import FacespeakError, FacespeakInputError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facespeak",
        description="Make a portrait speak: one image + text -> talking-head MP4, offline on a CPU.")
    parser.add_argument("--version", action="version", version=f"facespeak {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_say(sub)
    _add_speak(sub)
    _add_eval(sub)
    voices = sub.add_parser("voices", help="list speech engines, voices and languages")
    voices.add_argument("--lang", help="only voices speaking this language")
    return parser


def _add_say(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "say", help="make PORTRAIT speak TEXT into an MP4",
        description="Make the face in PORTRAIT speak TEXT. PORTRAIT 'demo' is the built-in "
                    "portrait (a public-domain NASA photo). TEXT '-' reads standard input.")
    p.add_argument("portrait", metavar="PORTRAIT", help="image file (JPEG, PNG, WebP, ...) or 'demo'")
    p.add_argument("text", metavar="TEXT", help="what to say; '-' reads it from standard input")
    p.add_argument("-o", "--output", type=Path, default=Path("facespeak.mp4"),
                   help="output MP4 (default: facespeak.mp4)")
    _add_voice_options(p, "default: one chosen to fit the face")
    p.add_argument("--seed", type=int, default=0, help="random seed for head motion and blinks (default 0)")
    p.add_argument("--fps", type=float, default=25.0, help="frames per second (default 25)")
    p.add_argument("--crop", choices=["full", "face"], default="full",
                   help="full: whole portrait, long side capped at 1280 (default); face: 512x512 face crop")
    p.add_argument("--size", type=int, help="long side (full) or side (face) in pixels")
    p.add_argument("--head-motion", type=float, default=1.0, metavar="SCALE",
                   help="scale head motion; 0 = still head that still blinks (default 1)")
    p.add_argument("--save-audio", type=Path, metavar="WAV", help="also write the speech as WAV")
    p.add_argument("--save-motion", type=Path, metavar="JSON",
                   help="also write the motion track with phone and word timelines")
    p.add_argument("--motion", type=Path, metavar="JSON", help="replay a saved motion track")
    p.add_argument("--no-label", dest="label", action="store_false",
                   help="leave out the small 'AI-generated' label (the MP4 metadata still says so)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also say why the voice was chosen and how long each stage took")


def _add_voice_options(p: argparse.ArgumentParser, default_voice: str) -> None:
    """The options ``say`` and ``speak`` share: which voice, its language and prosody."""
    p.add_argument("--voice", help="voice, e.g. slt-hts, rms, flite:awb, espeak:de "
                                   f"(see 'facespeak voices'); {default_voice}")
    p.add_argument("--voice-ref", type=Path, metavar="AUDIO",
                   help="make the voice like this recording (>= 2 s of speech, any common format)")
    p.add_argument("--lang", help="language code, e.g. en, de, fr, zh (default: en)")
    _add_rate_and_pitch(p)
    _add_ssml(p)


def _add_rate_and_pitch(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=float, default=1.0, metavar="X",
                   help="speaking rate multiplier, 0.5-2 (default 1)")
    p.add_argument("--pitch", type=float, default=1.0, metavar="X",
                   help="voice pitch multiplier, 0.5-2 (default 1)")


def _add_ssml(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ssml", action=argparse.BooleanOptionalAction, default=None,
                   help="read TEXT as SSML (<break>, <emphasis>, <prosody>; <speak> optional), "
                        "or never with --no-ssml (default: SSML when TEXT starts with <speak)")


def _add_speak(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "speak", help="speak TEXT into a WAV file (speech only)",
        description="Speak TEXT into a WAV file. With --face, in a voice chosen to fit the "
                    "face in that portrait. TEXT '-' reads standard input.")
    p.add_argument("text", metavar="TEXT", help="what to say; '-' reads it from standard input")
    p.add_argument("-o", "--output", type=Path, default=Path("facespeak.wav"),
                   help="output WAV (default: facespeak.wav)")
    p.add_argument("--face", metavar="PORTRAIT",
                   help="choose the voice to fit the face in this portrait ('demo': built-in)")
    _add_voice_options(p, "default: one chosen to fit --face, else the language's default")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="measure talking-head videos (sync, head motion, blinks, jitter, ...)",
        description="Measure any talking-head video with audio from its decoded frames and "
                    "sound, with no downloaded model. Several videos are shown side by side.")
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="video file, or a folder of videos")
    p.add_argument("--source", type=Path, metavar="PORTRAIT",
                   help="the portrait the video was made from: adds identity preservation")
    p.add_argument("--text", help="the words spoken ('-' reads stdin): adds the word error rate")
    p.add_argument("--timeline", type=Path, metavar="JSON",
                   help="phone timeline ('say --save-motion' output): adds articulation")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--csv", type=Path, metavar="OUT", help="also write one CSV row per video")
    p.add_argument("--plots", type=Path, metavar="DIR",
                   help="write a contact sheet and a signal plot per video into DIR")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        if args.command == "voices":
            return _voices(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "speak":
            return _speak(args)
        return _say(args)
    except FacespeakInputError as exc:
        print(f"facespeak: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("facespeak: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except FacespeakError as exc:
        print(f"facespeak: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _say(args: argparse.Namespace) -> int:
    import facespeak
    from facespeak.config import SayOptions

    text = sys.stdin.read() if args.text == "-" else args.text
    options = SayOptions(voice=args.voice, language=args.lang, seed=args.seed, fps=args.fps,
                         crop=args.crop, size=args.size, head_motion=args.head_motion,
                         save_audio=args.save_audio, save_motion=args.save_motion,
                         motion=args.motion, label=args.label, rate=args.rate,
                         pitch=args.pitch, ssml=args.ssml, voice_ref=args.voice_ref)
    bar = None if args.quiet else _ProgressBar()
    start = time.perf_counter()
    result = facespeak.say_with_options(_portrait_path(args.portrait), text, args.output, options,
                                        progress=bar or _silent)
    if bar:
        bar.finish()
        took = time.perf_counter() - start
        dur = result.motion.duration_s
        print(f"wrote {result.video_path} ({dur:.1f} s of video in {took:.1f} s, "
              f"{dur / took:.1f}x real time; voice {result.speech.engine}:{result.speech.voice})",
              file=sys.stderr)
        if result.face.faces_found > 1:
            print(f"note: {result.face.faces_found} faces found; animated the largest",
                  file=sys.stderr)
    if args.verbose:
        print(f"voice: {result.voice.reason or 'default'}", file=sys.stderr)
        print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings_s.items()),
              file=sys.stderr)
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from facespeak.evaluate.report import evaluate_video, expand_videos, load_source
    from facespeak.evaluate.table import format_table, to_csv, to_json
    from facespeak.media.atomic import atomic_output, check_writable

    for out in (args.json, args.csv):
        if out is not None:
            check_writable(out)
    if args.plots is not None:
        from facespeak.evaluate.plots import prepare_plot_folder

        prepare_plot_folder(args.plots)
    videos = expand_videos(args.videos)
    source = None if args.source is None else load_source(_portrait_path(str(args.source)))
    text = sys.stdin.read() if args.text == "-" else args.text
    reports = []
    for video in videos:
        if not args.quiet:
            print(f"evaluating {video}", file=sys.stderr)
        reports.append(evaluate_video(video, source=source, text=text, timeline=args.timeline))
    print(format_table(reports))
    for out, render in ((args.json, to_json), (args.csv, to_csv)):
        if out is not None:
            with atomic_output(out) as tmp:
                tmp.write_text(render(reports), encoding="utf-8")
    if args.plots is not None:
        from facespeak.evaluate.plots import write_plots

        for report in reports:
            write_plots(report, args.plots)
    return EXIT_OK


def _speak(args: argparse.Namespace) -> int:
    from facespeak.speak import speak

    text = sys.stdin.read() if args.text == "-" else args.text
    face = None if args.face is None else _portrait_path(args.face)
    result = speak(text, args.output, voice=args.voice, language=args.lang, rate=args.rate,
                   voice_ref=args.voice_ref,
                   pitch=args.pitch, face=face, ssml=args.ssml)
    if not args.quiet:
        speech, voice = result.speech, result.voice
        print(f"wrote {result.wav_path} ({speech.duration_s:.1f} s; voice "
              f"{speech.engine}:{speech.voice}, pitch x{voice.pitch_scale:.2f}, range "
              f"x{voice.pitch_range:.2f}, formants x{voice.formant_scale:.2f}, rate "
              f"x{voice.rate:.2f}; {voice.reason})", file=sys.stderr)
    return EXIT_OK


def _portrait_path(arg: str) -> Path:
    from facespeak import demo_portrait_path

    path = Path(arg)
    return demo_portrait_path() if arg == "demo" and not path.exists() else path


def _voices(args: argparse.Namespace) -> int:
    from facespeak.speech import list_voices

    rows = [v for v in list_voices() if not args.lang or args.lang in v.languages]
    print(f"{'engine':8} {'voice':24} {'gender':7} languages")
    for v in rows:
        langs = ", ".join(v.languages)
        print(f"{v.engine:8} {v.name:24} {v.gender or '-':7} {langs}")
    print(f"{len(rows)} voices", file=sys.stderr)
    return EXIT_OK


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one plain line, like errors (no source file and line)."""
    print(f"facespeak: warning: {message}", file=sys.stderr)


def _silent(stage: str, done: int, total: int) -> None:
    pass


class _ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self._last = 0.0
        self._shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(30 * done / max(total, 1))
        sys.stderr.write(f"\r{stage:7} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        sys.stderr.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            sys.stderr.write("\n")


if __name__ == "__main__":
    sys.exit(main())
