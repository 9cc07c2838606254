"""facespeak eval: each metric on inputs with known answers, the real clips
against REAL_FOOTAGE_STATS.md, our own video end to end, and the CLI."""

from __future__ import annotations

import csv
import io
import json

import av
import cv2
import numpy as np
import pytest

import facespeak
from facespeak import demo_portrait_path
from facespeak.cli import main
from facespeak.errors import VideoInputError
from facespeak.evaluate.articulation import articulation, mouth_opening
from facespeak.evaluate.blinks import detect_blinks
from facespeak.evaluate.envelope import envelope_sync, rms_envelope
from facespeak.evaluate.head import autocorrelation_time, head_motion
from facespeak.evaluate.identity import UpperFaceComparer
from facespeak.evaluate.report import evaluate_video
from facespeak.evaluate.signals import duplicate_frames, fill_frames, head_poses
from facespeak.evaluate.stability import jitter
from facespeak.face.geometry import canonical_face_model, rotation_from_euler
from facespeak.media.encode import VideoWriter
from facespeak.motion.track import motion_to_json
from facespeak.types import MOTION_CHANNELS, MotionTrack, Phone

FPS = 25
TEXT = "Hello there. My name is Pat, and I am reading a short message for you."


# ------------------------------------------------------------ synthetic inputs
def posed_faces(euler_deg: np.ndarray, scale: float = 12.0, centre=(256.0, 256.0, 0.0)):
    """(n, 478, 3) landmarks of the canonical face posed at each (yaw, pitch, roll)."""
    model = canonical_face_model()
    faces = np.zeros((len(euler_deg), 478, 3))
    for i, angles in enumerate(euler_deg):
        faces[i, :468] = scale * model @ rotation_from_euler(*angles).T + centre
    faces[:, 468:] = faces[:, [33]]  # iris points: unused by the metrics
    return faces


def test_head_motion_recovers_a_known_sinusoid():
    t = np.arange(250) / FPS
    euler = np.column_stack([6 * np.sin(2 * np.pi * t / 2.0), 3 * np.sin(2 * np.pi * t / 1.0),
                             np.zeros_like(t)])
    motion = head_motion(head_poses(posed_faces(euler)), FPS)
    assert motion.std_deg[0] == pytest.approx(6 / np.sqrt(2), abs=0.05)
    assert motion.std_deg[1] == pytest.approx(3 / np.sqrt(2), abs=0.05)
    assert motion.std_deg[2] < 0.05
    yaw_speed = np.sqrt(np.mean((np.diff(euler[:, 0]) * FPS) ** 2))
    assert motion.velocity_rms_deg_s[0] == pytest.approx(yaw_speed, rel=0.01)
    # a 2 s sine's autocorrelation (biased, 10 s clip) first drops below 1/e at ~0.19 period
    assert motion.autocorrelation_time_s[0] == pytest.approx(0.19 * 2.0, rel=0.1)
    # 1 Hz and 2 Hz motion passes the 5 Hz low-pass nearly unchanged
    assert motion.angular_velocity_rms_lp_deg_s == pytest.approx(
        motion.angular_velocity_rms_deg_s, rel=0.05)


def test_low_pass_removes_frame_to_frame_tracker_noise():
    noise = np.random.default_rng(1).normal(0, 0.5, (250, 3))
    motion = head_motion(head_poses(posed_faces(noise)), FPS)
    assert motion.angular_velocity_rms_lp_deg_s < 0.6 * motion.angular_velocity_rms_deg_s


def test_autocorrelation_time_of_white_noise_is_under_one_frame():
    noise = np.random.default_rng(2).normal(size=500)
    assert autocorrelation_time(noise, FPS) < 1 / FPS


def eye_blink_faces(closure: np.ndarray, eyes=("right", "left")) -> np.ndarray:
    """Frontal faces whose upper lids move toward the lower ones by ``closure`` (0..1)."""
    faces = posed_faces(np.zeros((len(closure), 3)))
    pairs = {"right": [(160, 144), (159, 145), (158, 153)],
             "left": [(387, 373), (386, 374), (385, 380)]}
    for eye in eyes:
        for upper, lower in pairs[eye]:
            faces[:, upper] += closure[:, None] * (faces[:, lower] - faces[:, upper])
    return faces


def test_blinks_counted_with_interpolated_duration_winks_and_long_closures_not():
    closure = np.zeros(300)
    profile = [0.3, 0.7, 0.9, 0.7, 0.3]  # eye at 0.7, 0.3, 0.1, 0.3, 0.7 of open
    for start in (20, 120, 200):
        closure[start:start + 5] = profile
    closure[250:290] = 0.9  # 1.6 s: a long closure, not a blink
    faces = eye_blink_faces(closure)
    wink = eye_blink_faces(np.where(np.arange(300) == 60, 0.9, 0.0), eyes=("left",))
    faces[55:66] = wink[55:66]
    blinks = detect_blinks(faces, FPS)
    assert [e.start_frame for e in blinks.events] == [20, 120, 200]
    assert blinks.long_closures == 1
    assert blinks.per_minute == pytest.approx(3 / 12 * 60)
    # below 0.75: 4 frames plus 1/6 of a frame at each crossing
    assert blinks.mean_duration_ms == pytest.approx((4 + 1 / 3) * 40, rel=1e-3)


def test_jitter_of_alternating_offsets_and_head_stabilisation():
    faces = posed_faces(np.zeros((50, 3)))
    wobble = np.where(np.arange(50) % 2, 0.5, -0.5)  # ±0.5 px every frame
    faces[..., 0] += wobble[:, None]
    iod = np.linalg.norm(faces[0, 33] - faces[0, 263])
    assert jitter(faces[:, :468, :2] / iod) == pytest.approx(4 * 0.5 / iod, rel=1e-6)
    stable = head_poses(faces).to_head_frame(faces[:, :468])
    assert jitter(stable[..., :2]) < 1e-6  # a rigid shake is head motion, not jitter


def test_duplicate_frames_are_flagged_and_interpolated():
    diff = np.array([np.nan, 5, 5, 0.1, 5, 5, 0.2, 0.25, 5, 5])
    flags = duplicate_frames(diff)
    assert flags.tolist() == [False, False, False, True, False, False, True, True, False, False]
    track = np.arange(10, dtype=float)[:, None, None] * np.ones((10, 478, 3))
    track[3] = track[6] = track[7] = 99.0
    filled = fill_frames(track, flags)
    assert filled[:, 0, 0] == pytest.approx(np.arange(10))


def envelope_following(aperture: np.ndarray, delay_frames: int, rate: int = 16000) -> np.ndarray:
    """Noise whose loudness follows ``aperture`` ``delay_frames`` later."""
    t = np.arange(int(len(aperture) / FPS * rate)) / rate
    loudness = np.interp(t * FPS - delay_frames, np.arange(len(aperture)), aperture)
    return (loudness * np.random.default_rng(3).normal(0, 0.1, len(t))).astype(np.float32)


@pytest.mark.parametrize("delay", [-4, 0, 3, 7])
def test_plain_sync_finds_a_known_audio_delay(delay):
    aperture = np.clip(np.convolve(np.random.default_rng(4).normal(size=300), np.ones(4) / 4,
                                   "same"), 0, None)
    sync = envelope_sync(aperture, envelope_following(aperture, delay), 16000, FPS)
    assert sync.lag_frames == delay
    assert sync.peak_r > 0.8 and sync.confidence > 0.3


def test_rms_envelope_windows_are_40_ms_centred_on_frame_times():
    audio = np.zeros(16000, np.float32)
    audio[7840:8160] = 1.0  # full scale for 0.49-0.51 s
    env = rms_envelope(audio, 16000, FPS, 25)
    # frames 12 and 13 (0.48 s, 0.52 s) each see 10 ms of it in their 40 ms window
    assert np.flatnonzero(env).tolist() == [12, 13]
    assert env[[12, 13]] == pytest.approx([0.5, 0.5], rel=1e-6)


def test_articulation_scores_middle_frames_of_phones():
    aperture = np.full(100, 0.15)
    aperture[[10, 31, 50]] = 0.01  # closed at the middles of the first two p/b/m, late for m
    phones = [Phone("p", 0.38, 0.42), Phone("b", 1.2, 1.28), Phone("m", 1.92, 2.0),
              Phone("ɑː", 3.0, 3.2), Phone("æ", 3.4, 3.6), Phone("i", 2.4, 2.6)]
    aperture[[78, 88]] = [0.3, 0.2]
    art = articulation(aperture, phones, FPS)
    assert art.bilabials == 3
    assert art.bilabial_closed_share == pytest.approx(2 / 3)
    assert art.bilabial_closed_share_near == pytest.approx(1.0)  # m closes one frame late
    assert art.open_vowels == 2 and art.open_vowel_aperture == pytest.approx(0.25)


def test_mouth_opening_uses_voiced_frames_only_where_the_audio_is_loud():
    aperture = np.r_[np.full(50, 0.01), np.full(50, 0.12)]
    envelope = np.r_[np.full(50, 1e-4), np.full(50, 0.1)]
    opening = mouth_opening(aperture, envelope)
    assert opening.closed_share == pytest.approx(0.5)
    assert opening.voiced_closed_share == 0 and opening.voiced_p50 == pytest.approx(0.12)


# ---------------------------------------------------------------- identity
def test_identity_is_high_for_the_portrait_itself_even_moved_and_low_for_noise(
        demo_portrait, demo_face):
    image, points = demo_portrait.pixels, demo_face.landmarks_px
    comparer = UpperFaceComparer(image, points)
    comparer(0, image, points)
    move = cv2.getRotationMatrix2D((200.0, 220.0), 8.0, 0.8)  # turn 8°, shrink, shift
    moved = cv2.warpAffine(image, move, (image.shape[1], image.shape[0]))
    comparer(1, moved, np.c_[points[:, :2] @ move[:, :2].T + move[:, 2], points[:, 2:]])
    noise = np.random.default_rng(5).integers(0, 255, image.shape, dtype=np.uint8)
    comparer(2, noise, points)
    assert comparer.ssim[0] > 0.99 and comparer.psnr_db[0] > 40
    assert comparer.ssim[1] > 0.75 and comparer.psnr_db[1] > 25
    assert comparer.ssim[2] < 0.15 and comparer.ssim_rigid[2] < 0.1


def test_identity_forgives_landmark_noise_but_not_blur_or_a_changed_skin_tone(
        demo_portrait, demo_face):
    image, points = demo_portrait.pixels, demo_face.landmarks_px
    comparer = UpperFaceComparer(image, points)
    # landmarks a tracker might place on a re-encoded frame: 3 % too wide, 2 px off
    centre = points[:, :2].mean(axis=0)
    off = points.copy()
    off[:, :2] = (points[:, :2] - centre) * 1.03 + centre + 2.0
    comparer(0, image, off)
    comparer(1, cv2.GaussianBlur(image, (0, 0), 2.0), points)
    redder = np.clip(image * np.array([1.0, 0.75, 0.75]), 0, 255).astype(np.uint8)
    comparer(2, redder, points)
    assert comparer.ssim[0] > 0.95 > comparer.ssim_rigid[0]
    assert comparer.ssim[1] < 0.85 and comparer.ssim[2] < comparer.ssim[0] - 0.01
    assert comparer.psnr_db[2] < 25


def test_identity_is_low_for_another_person(real_dir):
    from facespeak.evaluate.report import load_source

    one, other = load_source(real_dir / "man_photo.png"), load_source(real_dir / "woman_photo.jpg")
    comparer = UpperFaceComparer(one.portrait.pixels, one.face.landmarks_px)
    comparer(0, other.portrait.pixels, other.face.landmarks_px)
    comparer(1, one.portrait.pixels, one.face.landmarks_px)
    assert comparer.ssim[0] < 0.6 and comparer.ssim[1] > 0.99


# ------------------------------------------------------- videos we write here
def write_video(path, frames, audio=None, rate=16000):
    h, w = frames[0].shape[:2]
    with VideoWriter(path, w, h, FPS, audio, rate if audio is not None else 0) as out:
        for frame in frames:
            out.write(frame)
    return path


@pytest.fixture(scope="module")
def portrait_crop(demo_portrait, demo_face):
    """The demo face in a 320x320 frame with background around the head."""
    x0, y0, x1, y1 = demo_face.bbox_px
    cx, cy, side = (x0 + x1) // 2, (y0 + y1) // 2, int(2.4 * (x1 - x0))
    crop = demo_portrait.pixels[max(cy - side // 2, 0):cy + side // 2,
                                max(cx - side // 2, 0):cx + side // 2]
    return cv2.resize(crop, (320, 320), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def still_videos(tmp_path_factory, portrait_crop):
    """The same portrait for 3 s: as it is, with the whole frame flickering, and
    with only the face's middle changing."""
    folder = tmp_path_factory.mktemp("still")
    n = 3 * FPS
    flicker = [np.clip(portrait_crop.astype(int) + (4 if i % 2 else -4), 0, 255).astype(np.uint8)
               for i in range(n)]
    face_only = []
    rng = np.random.default_rng(6)
    for _ in range(n):
        frame = portrait_crop.copy()
        frame[150:175, 140:180] = rng.integers(0, 255, (25, 40, 3))
        face_only.append(frame)
    return {"still": write_video(folder / "still.mp4", [portrait_crop] * n),
            "flicker": write_video(folder / "flicker.mp4", flicker),
            "face_only": write_video(folder / "face_only.mp4", face_only)}


def test_still_video_is_still_and_background_flicker_is_measured_outside_the_person(
        still_videos):
    still = evaluate_video(still_videos["still"])
    assert still.facts.n_frames == 75 and still.sync_plain is None and still.sync is None
    assert max(still.head.std_deg) < 0.3
    assert still.head.angular_velocity_rms_lp_deg_s < 3  # real still heads: 7-11 °/s
    assert still.stability.face_jitter_stabilised < 0.008  # real speech: 0.008-0.013
    assert still.stability.background_share > 0.05
    assert still.stability.background_flicker < 0.1
    flicker = evaluate_video(still_videos["flicker"]).stability.background_flicker
    assert flicker == pytest.approx(8, abs=1.5)  # ±4 grey levels every frame
    face_only = evaluate_video(still_videos["face_only"]).stability
    assert face_only.background_flicker < 0.1  # a changing face is not background


def test_video_errors_are_one_line_input_errors(tmp_path, still_videos):
    with pytest.raises(VideoInputError, match="not found"):
        evaluate_video(tmp_path / "missing.mp4")
    with pytest.raises(VideoInputError, match="no audio track"):
        evaluate_video(still_videos["still"], text="hello")
    grey = write_video(tmp_path / "grey.mp4", [np.full((64, 64, 3), 128, np.uint8)] * 12)
    with pytest.raises(VideoInputError, match="no face found in any frame"):
        evaluate_video(grey)
    wav = tmp_path / "a.wav"
    from facespeak.media.audio import write_wav
    write_wav(wav, np.zeros(1600, np.float32), 16000)
    with pytest.raises(VideoInputError, match="no video stream"):
        evaluate_video(wav)


# ------------------------------------------------------ our own renderer, closed loop
@pytest.fixture(scope="module")
def said(tmp_path_factory):
    """`say` output with its motion sidecar, evaluated with timeline, text and source."""
    folder = tmp_path_factory.mktemp("said")
    video, motion = folder / "said.mp4", folder / "said.json"
    facespeak.say(demo_portrait_path(), TEXT, video, crop="face", seed=1, save_motion=motion)
    report = evaluate_video(video, source=demo_portrait_path(), text=TEXT, timeline=motion)
    return video, report


def test_our_video_end_to_end_with_timeline_text_and_source(said):
    _, report = said
    assert report.facts.fps == FPS and (report.facts.width, report.facts.height) == (512, 512)
    assert abs(report.facts.av_difference_s) <= 1 / FPS
    assert report.facts.face_share == 1.0
    assert report.articulation.bilabials >= 3
    assert report.articulation.bilabial_closed_share_near >= 0.6
    assert report.articulation.open_vowel_aperture > 0.06
    assert report.intelligibility.word_error_rate <= 0.3
    assert report.identity.ssim > 0.7 and report.identity.shape_distance < 0.05
    # the mouth moves 80 ms (two frames) before the sound; real clips read +3
    assert report.sync_plain.lag_frames in (1, 2, 3) and report.sync_plain.peak_r > 0.3
    assert report.sync.offset_frames in (1, 2, 3) and report.sync.matched


@pytest.mark.parametrize("shift", [5, -8])
def test_plain_sync_follows_audio_shifted_by_known_frames(said, tmp_path, shift):
    video, report = said
    with av.open(str(video)) as box:
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    audio = report.track.audio
    moved = np.zeros_like(audio)
    k = abs(shift) * len(audio) // len(frames)
    if shift > 0:
        moved[k:] = audio[:-k]
    else:
        moved[:-k] = audio[k:]
    shifted = evaluate_video(write_video(tmp_path / "shifted.mp4", frames, moved))
    assert abs(shifted.sync_plain.lag_frames - report.sync_plain.lag_frames - shift) <= 1
    assert abs(shifted.sync.offset_frames - report.sync.offset_frames - shift) <= 1


def test_known_head_motion_track_is_measured_back(tmp_path):
    n = 5 * FPS
    t = np.arange(n) / FPS
    channels = {k: np.zeros(n, np.float32) for k in MOTION_CHANNELS}
    channels["yaw_deg"] = (8 * np.sin(2 * np.pi * t / 2.5)).astype(np.float32)
    motion = tmp_path / "yaw.json"
    motion.write_text(motion_to_json(MotionTrack(FPS, channels)))
    video = tmp_path / "yaw.mp4"
    facespeak.say(demo_portrait_path(), "One two three four five six seven.", video,
                  crop="face", motion=motion)
    report = evaluate_video(video)
    measured = report.head_pose_deg[:, 0]
    commanded = channels["yaw_deg"][:len(measured)]
    assert np.corrcoef(measured, commanded)[0, 1] > 0.95  # same sign, same timing
    assert report.head.std_deg[0] > 5 * max(report.head.std_deg[1:])


# ------------------------------------------------------------------ real clips
@pytest.fixture(scope="module")
def real_reports(real_dir):
    return {name: evaluate_video(real_dir / f"{name}.mp4")
            for name in ("talking_news_clip", "talking_news_clip_2")}


# REAL_FOOTAGE_STATS.md tables A-C: WDA_KatieHill_000 and WDA_AOC_000.
REFERENCE = {
    "talking_news_clip": {
        "std": (10.0, 6.9, 2.8), "lp": 45, "tau": (1.07, 0.40), "blinks": 3, "dur": (193, 56),
        "ap": (0.17, 0.123, 0.229), "jitter": (0.0197, 0.0246, 0.0097, 0.0183),
        "lag": -6, "r": 0.18},
    "talking_news_clip_2": {
        "std": (4.4, 4.7, 3.3), "lp": 34, "tau": (0.26, 0.44), "blinks": 9, "dur": (153, 93),
        "ap": (0.17, 0.084, 0.150), "jitter": (0.0161, 0.0189, 0.0098, 0.0163),
        "lag": 3, "r": 0.35},
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_real_clips_match_the_reference_measurements(real_reports, name):
    report, ref = real_reports[name], REFERENCE[name]
    assert report.head.std_deg == pytest.approx(ref["std"], abs=0.15)
    assert report.head.angular_velocity_rms_lp_deg_s == pytest.approx(ref["lp"], abs=1.5)
    assert report.head.autocorrelation_time_s == pytest.approx(ref["tau"], abs=0.03)
    assert report.blinks.count == ref["blinks"]
    assert (report.blinks.mean_duration_ms, report.blinks.mean_closed_ms) == pytest.approx(
        ref["dur"], abs=8)
    assert (report.mouth.closed_share, report.mouth.p50, report.mouth.p95) == pytest.approx(
        ref["ap"], abs=0.01)
    s = report.stability
    assert (s.face_jitter, s.lip_jitter, s.face_jitter_stabilised, s.lip_jitter_stabilised
            ) == pytest.approx(ref["jitter"], abs=0.0008)
    assert report.sync_plain.lag_frames == ref["lag"]
    assert report.sync_plain.peak_r == pytest.approx(ref["r"], abs=0.02)


# ------------------------------------------------------------------------- CLI
def test_cli_prints_two_videos_side_by_side_and_writes_json_csv_plots(
        still_videos, tmp_path, capsys):
    out_json, out_csv, plots = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "plots"
    code = main(["eval", str(still_videos["still"]), str(still_videos["flicker"]), "-q",
                 "--json", str(out_json), "--csv", str(out_csv), "--plots", str(plots)])
    assert code == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["still.mp4", "flicker.mp4"]
    flicker_row = next(r for r in rows if r.startswith("stability: background flicker"))
    still_value, flicker_value = map(float, flicker_row.split()[-2:])
    assert still_value < 0.1 and flicker_value > 4
    docs = json.loads(out_json.read_text())
    assert [d["video"] for d in docs] == ["still.mp4", "flicker.mp4"]
    assert docs[0]["sync_plain"] is None and docs[0]["sync"] is None
    assert docs[0]["facts"]["n_frames"] == 75
    table = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert table[1]["video"] == "flicker.mp4" and float(table[1]["background_flicker"]) > 4
    pngs = sorted(p.name for p in plots.iterdir())
    assert pngs == ["flicker_frames.png", "flicker_signals.png", "still_frames.png",
                    "still_signals.png"]
    sheet = cv2.imread(str(plots / "still_frames.png"))
    assert sheet.shape[1] == 4 * 320 and sheet.std() > 20


def test_cli_folder_means_every_video_in_it(still_videos, capsys):
    assert main(["eval", str(still_videos["still"].parent), "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "face_only.mp4", "flicker.mp4", "still.mp4"]


@pytest.mark.parametrize("args, message", [
    (["missing.mp4"], "video file not found"),
    (["{folder}"], "no videos"),
    (["{wav}"], "no video stream"),
    (["{still}", "--text", "hi"], "no audio track"),
    (["{still}", "--timeline", "{text}"], "not a facespeak motion file"),
    (["{still}", "--json", "{folder}/no/such/out.json"], "does not exist"),
])
def test_cli_bad_input_is_one_line_and_exit_2(still_videos, tmp_path, capsys, args, message):
    from facespeak.media.audio import write_wav

    wav = tmp_path / "a.wav"
    write_wav(wav, np.zeros(1600, np.float32), 16000)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not json")
    names = {"folder": tmp_path / "empty", "wav": wav, "text": tmp_path / "notes.txt",
             "still": still_videos["still"]}
    argv = ["eval", "-q", *(a.format(**names) for a in args)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
