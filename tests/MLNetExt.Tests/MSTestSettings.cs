// Torch tests share native thread pools and memory; run them one at a time.
[assembly: DoNotParallelize]
