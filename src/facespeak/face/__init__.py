"""Face stage: load the portrait, find the face, its pose and canonical shape."""
