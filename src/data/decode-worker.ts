// Worker-thread entry: decodes batches sent by batches.ts. Errors travel back as data (message + whether it
// is a UserError) because Error subclasses do not survive structured cloning.
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { decodeBatch } from './decode-batch.js';
import type { DecodeReply, DecodeRequest } from './batches.js';

const port = parentPort;
if (port) {
  port.on('message', (req: DecodeRequest) => {
    let reply: DecodeReply;
    try {
      const data = decodeBatch(req.sources, req.spec);
      reply = { id: req.id, data };
      port.postMessage(reply, [data.buffer as ArrayBuffer]);
    } catch (e) {
      reply = { id: req.id, error: (e as Error).message, user: e instanceof UserError };
      port.postMessage(reply);
    }
  });
}
