// onnxruntime-node, imported through this module so that its telemetry SDK stays off: otherwise every process
// that opens a session leaves a `.ses` file and an empty `mat-debug-<pid>.log` in the temp folder. A value the
// user set is kept.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export * from 'onnxruntime-node';
