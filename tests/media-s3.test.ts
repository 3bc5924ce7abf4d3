import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaView } from '../src/modules/media/schema.js';
import type { Harness, TestTenant } from './support/harness.js';
import { samples, uniqueJpeg } from './support/media-files.js';
import { incomingFiles, MEDIA, mediaHarness, upload, uploaded } from './support/media.js';
import { startS3Server, type S3Server } from './support/s3-server.js';

type WithLink = MediaView & { download: { url: string; expiresAt: string } };

let s3: S3Server;
let harness: Harness & { dataDir: string };
let clinic: TestTenant;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3Server();
  harness = await mediaHarness({ config: { ...s3.config, PRM_MEDIA_URL_SECONDS: '10' } });
  clinic = await harness.newTenant();
  client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});
afterAll(async () => {
  client?.destroy();
  await harness?.close();
  await s3?.close();
});

async function bucketKeys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describe('media in an S3-compatible bucket', () => {
  it('stores an upload under the clinic’s key for its hash, once for two uploads of the same file', async () => {
    const scan = Buffer.concat([samples.pdf, Buffer.from('s3 twice')]);
    const first = await uploaded(harness, clinic, { file: scan, name: 'a.pdf' });
    const second = await uploaded(harness, clinic, { file: scan, name: 'b.pdf' });
    expect(second.sha256).toBe(first.sha256);
    expect(await bucketKeys(`${clinic.tenant.id}/`)).toEqual([`${clinic.tenant.id}/${first.sha256.slice(0, 2)}/${first.sha256}`]);
    expect(await incomingFiles(harness.dataDir)).toEqual([]);
  });

  it('gives a presigned link the bucket serves with the file’s type and name, and the keyed route streams from the bucket', async () => {
    const photo = uniqueJpeg('s3 link');
    const media = await uploaded(harness, clinic, { file: photo, name: 'knee.jpg' });
    const { download } = await clinic.call<WithLink>('GET', `${MEDIA}/${media.id}`);
    expect(download.url.startsWith(`${s3.endpoint}/${s3.bucket}/`)).toBe(true);
    const fetched = await fetch(download.url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(photo);
    expect(fetched.headers.get('content-type')).toBe('image/jpeg');
    expect(fetched.headers.get('content-disposition')).toContain('filename="knee.jpg"');

    // (s3rver does not check SigV4 signatures, so an altered link is AWS's to refuse, not tested here; expiry it does check.)
    const keyed = await clinic.request('GET', `${MEDIA}/${media.id}/content`);
    expect(Buffer.from(await keyed.arrayBuffer())).toEqual(photo);
  });

  it('refuses a presigned link once it has expired', async () => {
    const media = await uploaded(harness, clinic, { file: uniqueJpeg('s3 expiry') });
    const { download } = await clinic.call<WithLink>('GET', `${MEDIA}/${media.id}`);
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect((await fetch(download.url)).status).toBe(403);
  }, 20_000);

  it('purges the object once no live record uses it', async () => {
    const scan = Buffer.concat([samples.pdf, Buffer.from('s3 purge')]);
    const first = await uploaded(harness, clinic, { file: scan });
    const second = await uploaded(harness, clinic, { file: scan });
    const key = `${clinic.tenant.id}/${first.sha256.slice(0, 2)}/${first.sha256}`;
    await clinic.call('DELETE', `${MEDIA}/${first.id}`);
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(await bucketKeys(key)).toEqual([key]);
    await clinic.call('DELETE', `${MEDIA}/${second.id}`);
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    expect(await bucketKeys(key)).toEqual([]);
  });

  it('removes the object again when the record is refused', async () => {
    const photo = uniqueJpeg('s3 refused');
    const response = await upload(harness, clinic, { file: photo, fields: { patientId: '0190d6f1-8e4b-7c3a-9f00-0000000000bb' } });
    expect(response.status).toBe(404);
    const listed = await bucketKeys(`${clinic.tenant.id}/`);
    const media = await clinic.call<{ items: MediaView[] }>('GET', `${MEDIA}?limit=200`);
    expect(listed.length).toBe(new Set(media.items.map((item) => item.sha256)).size);
  });
});
