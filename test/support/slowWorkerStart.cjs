// Preloaded into a render worker by a test (execArgv --require): the worker's start-up takes
// 1.5 s, as it can on a loaded machine. Sleeps the worker thread; the test's thread runs on.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
