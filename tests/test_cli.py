"""The command line as a user meets it: exit codes, one-line errors, nothing
left at the output path, and every real portrait in ../shared."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facespeak.cli import main

ANIMATES = ["woman_photo.jpg", "man_photo.png", "man_bw_photo.jpg", "woman_portrait.png",
            "statue.jpg", "cartoon_boy.jpg", "full_body.png"]
MAY_REFUSE = ["small_face_in_photo.jpg", "dog.jpg"]


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def flat_image(tmp_path) -> Path:
    path = tmp_path / "flat.png"
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(path)
    return path


def test_missing_portrait(capsys, tmp_path):
    code, err = run_cli(capsys, "say", str(tmp_path / "nope.jpg"), "Hi.", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and err.count("\n") == 1 and "nope.jpg" in err
    assert leftovers(tmp_path) == []


def test_not_an_image(capsys, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a picture")
    code, err = run_cli(capsys, "say", str(bad), "Hi.", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and err.count("\n") == 1
    assert leftovers(tmp_path) == ["notes.jpg"]


def test_no_face(capsys, tmp_path, flat_image):
    code, err = run_cli(capsys, "say", str(flat_image), "Hi.", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and "no face" in err
    assert leftovers(tmp_path) == ["flat.png"]


@pytest.mark.parametrize("text", ["", "   \n\t", "!!! ... ???"])
def test_nothing_to_say(capsys, tmp_path, text):
    code, err = run_cli(capsys, "say", "demo", text, "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and err.count("\n") == 1
    assert leftovers(tmp_path) == []


def test_unknown_voice_lists_valid_ones(capsys, tmp_path):
    code, err = run_cli(capsys, "say", "demo", "Hi.", "--voice", "nobody", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and "nobody" in err and "rms" in err and err.count("\n") == 1


def test_unknown_language_lists_valid_ones(capsys, tmp_path):
    code, err = run_cli(capsys, "say", "demo", "Hi.", "--lang", "xx-nowhere", "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and "xx-nowhere" in err and "languages: " in err and err.count("\n") == 1


def test_unwritable_output(capsys, tmp_path):
    code, err = run_cli(capsys, "say", "demo", "Hi.", "-o", str(tmp_path / "no" / "dir" / "o.mp4"))
    assert code == 2 and err.count("\n") == 1
    code, err = run_cli(capsys, "say", "demo", "Hi.", "-o", str(tmp_path))
    assert code == 2


@pytest.mark.parametrize("args", [["--fps", "0"], ["--size", "5"], ["--head-motion", "-1"]])
def test_bad_options(capsys, tmp_path, args):
    code, err = run_cli(capsys, "say", "demo", "Hi.", "-o", str(tmp_path / "o.mp4"), *args)
    assert code == 2 and err.count("\n") == 1
    assert leftovers(tmp_path) == []


def test_bad_motion_file(capsys, tmp_path):
    motion = tmp_path / "m.json"
    motion.write_text('{"fps": 25}')
    code, err = run_cli(capsys, "say", "demo", "Hi.", "--motion", str(motion), "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and "m.json" in err
    assert leftovers(tmp_path) == ["m.json"]


def test_voices_lists_engines(capsys):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "flite" in out and "rms" in out and "espeak" in out


def test_ctrl_c_leaves_nothing(tmp_path):
    """SIGINT in the middle of rendering: exit 130 and no file, temporary or final."""
    text = "This sentence is long enough to keep the renderer busy for a while. " * 6
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Ctrl-C's handler set explicitly: a test run started in the background
    # inherits SIGINT ignored, and Python then keeps it ignored.
    run_cli = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
               "from facespeak.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", run_cli, "say", "demo", text,
                             "-o", str(tmp_path / "o.mp4"), "--size", "1024"],
                            stderr=subprocess.PIPE, env=env, text=True)
    seen = ""
    deadline = time.time() + 60
    while "render" not in seen and time.time() < deadline:
        seen += proc.stderr.read(1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert leftovers(tmp_path) == [], err


@pytest.mark.parametrize("name", ANIMATES)
def test_real_portraits_animate(real_dir, tmp_path, name):
    import facespeak

    out = tmp_path / "o.mp4"
    result = facespeak.say(real_dir / name, "Hello there.", out, crop="face")
    assert out.stat().st_size > 10_000
    assert result.motion.n_frames >= 25


def test_real_no_face_portrait_is_refused(real_dir, capsys, tmp_path):
    code, err = run_cli(capsys, "say", str(real_dir / "cartoon_llama_no_face.jpg"), "Hi.",
                        "-o", str(tmp_path / "o.mp4"))
    assert code == 2 and "no face" in err
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", MAY_REFUSE)
def test_real_doubtful_portraits_never_crash(real_dir, capsys, tmp_path, name):
    code, err = run_cli(capsys, "say", str(real_dir / name), "Hi.", "-o", str(tmp_path / "o.mp4"))
    assert code in (0, 2), err
    assert leftovers(tmp_path) == (["o.mp4"] if code == 0 else [])


def test_voice_reference_decides_the_voice(capsys, tmp_path, real_dir):
    import json

    out, motion = tmp_path / "ref.mp4", tmp_path / "ref.json"
    code, _ = run_cli(capsys, "say", "demo", "Hello there, my friend. How are you today?",
                      "--voice-ref", str(real_dir / "speech_male_radio.wav"), "--crop", "face",
                      "--save-motion", str(motion), "-o", str(out), "-q")
    assert code == 0 and out.exists()
    voice = json.loads(motion.read_text())["voice"]
    # The demo face alone gets a female voice; the male recording overrides it.
    assert voice["reason"].startswith("reference speech_male_radio.wav: male")


@pytest.mark.parametrize("make", [lambda p: p.write_bytes(b"not audio at all"),
                                  lambda p: None])
def test_bad_voice_reference_is_a_clear_error(capsys, tmp_path, make):
    ref = tmp_path / "me.wav"
    make(ref)
    out = tmp_path / "x.mp4"
    code, err = run_cli(capsys, "say", "demo", "Hello.", "--voice-ref", str(ref), "-o", str(out))
    assert code == 2 and "voice reference" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == (
        ["me.wav"] if ref.exists() else [])
