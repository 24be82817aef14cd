"""Video: a lazy sequence of frames with a frame rate, and what runs on it.

Modules, each named after what it does:

- ``frames``: building and checking :class:`~imgfusion.values.Video` values (the lazy
  frame sequence is a core value type, as is the per-frame series of data);
- ``reader`` / ``writer``: ``load_video`` (mp4, webm, mov, gif, a folder of numbered
  frames; range, step, resize) and ``save_video`` (mp4/H.264, webm, gif, a folder of
  frames; audio copied on request), written to a temporary file and renamed;
- ``flow``: dense optical flow (OpenCV DIS, or torchvision RAFT with local weights),
  warping, and Ruder et al.'s consistency map ``c``;
- ``temporal``: the temporal losses (short- and long-term) and the temporal error;
- ``stylize``: ``video_style``, Gatys style per frame with the temporal loss;
- ``masks``: ``video_style``'s region: a still mask or a mask video in lockstep;
- ``store``: the folder of ``video_style``'s finished frames, so a rerun resumes;
- ``synthetic``: clips with known motion (tests, bench, gallery);
- (any image operator runs over a video's frames by the engine's rule, in the core);
- ``plugin``: the registrations (functions named as strings: listing operators
  imports neither torch nor OpenCV nor PyAV).

Frames are float32 H x W x C arrays in [0, 1], as every image in imgfusion.
Flows are H x W x 2 arrays in (row, col) = (dy, dx) order, as every coordinate in
imgfusion: ``flow[y, x]`` is the displacement from pixel (y, x) of one frame to
the matching point of the other.
"""
