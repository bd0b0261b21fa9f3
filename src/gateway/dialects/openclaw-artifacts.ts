import type { ProducedFilesContext } from '../dialect.js';
import { FileTooLargeError, GatewayError } from '../errors.js';
import { asArray, asNumber, asObject, asString, isObject } from '../normalize.js';
import type { ProducedFile, ProducedFilesInput } from '../types.js';

/**
 * The files 2026.9 keeps of a run's reply (managed outgoing media: what the agent named with `MEDIA:` lines), from
 * `artifacts.list {sessionKey, runId, messageRole:"assistant"}` for each run id the turn went under. Each file's bytes
 * come from `artifacts.download {sessionKey, artifactId}`, asked for at fetch time (its media ticket lives 5 min):
 * a url on the gateway's HTTP origin, or (an inline transcript artifact) base64 `data`.
 */
export async function listArtifacts(context: ProducedFilesContext, input: ProducedFilesInput): Promise<ProducedFile[]> {
  const { rpc, runIds } = context;
  const { sessionKey } = input;
  const files: ProducedFile[] = [];
  const seen = new Set<string>();
  for (const runId of runIds) {
    const { artifacts } = asObject(await rpc('artifacts.list', { sessionKey, runId, messageRole: 'assistant' }));
    for (const row of asArray(artifacts).filter(isObject)) {
      const id = asString(row.id);
      if (!id || seen.has(id)) continue;
      seen.add(id);
      const name = asString(row.title) ?? id;
      const sizeBytes = asNumber(row.sizeBytes);
      const downloadable = asString(asObject(row.download).mode) !== 'unsupported';
      files.push({
        name,
        mimeType: asString(row.mimeType),
        sizeBytes,
        fetch: downloadable ? (maxBytes) => fetchArtifact(context, { sessionKey, artifactId: id, name, sizeBytes }, maxBytes) : undefined,
      });
    }
  }
  return files;
}

async function fetchArtifact(
  context: ProducedFilesContext,
  artifact: { sessionKey: string; artifactId: string; name: string; sizeBytes: number | undefined },
  maxBytes: number,
): Promise<Buffer> {
  const { name } = artifact;
  if (artifact.sizeBytes !== undefined && artifact.sizeBytes > maxBytes) {
    throw new FileTooLargeError(`${name} is ${artifact.sizeBytes} bytes, over the ${maxBytes} bytes allowed`, artifact.sizeBytes, maxBytes);
  }
  const answer = asObject(await context.rpc('artifacts.download', { sessionKey: artifact.sessionKey, artifactId: artifact.artifactId }));
  const data = asString(answer.data);
  if (data !== undefined && answer.encoding === 'base64') {
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > maxBytes) throw new FileTooLargeError(`${name} is ${bytes.length} bytes, over the ${maxBytes} bytes allowed`, bytes.length, maxBytes);
    return bytes;
  }
  const url = asString(answer.url);
  if (!url) throw new GatewayError(`${name}: the gateway gave no way to download it`, 'BAD_RESPONSE');
  return context.download(url, maxBytes, name);
}
