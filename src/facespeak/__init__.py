"""facespeak: one portrait + text -> a talking-head video with synchronised speech."""
