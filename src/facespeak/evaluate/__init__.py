"""The evaluate stage: measure any talking-head video with audio (ours, real
footage, other tools' output) with no downloaded model. Everything is measured
from the decoded frames and audio: the face is re-detected in every frame."""
