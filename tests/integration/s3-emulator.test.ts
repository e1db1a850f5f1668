/**
 * The S3 stand-in itself, where it once differed from S3 in a way the cache's tests hit.
 *
 * s3rver signs ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 leaves
 * out unless the legacy provider is loaded: every truncated listing answered 500. The
 * registry's storage health check is such a listing (Stat of its root, one key at a time), so
 * once the root held two keys the check failed, and after three failures the cache answered
 * 503 to everything (the CI failure of 2026-12-07). .mocharc.json loads the legacy provider.
 */
import { strict as assert } from "assert";
import * as http from "http";
import { httpRequest } from "./support/registries";
import { startS3 } from "./support/s3";
import { stopAll } from "./support/processes";

describe("the S3 stand-in", () => {
  after(stopAll);

  it("pages a truncated ListObjectsV2 with a continuation token, as S3 does", async () => {
    const s3 = await startS3("paged");
    for (const key of ["root/a", "root/b"]) {
      assert.equal(await put(`${s3.endpoint}/paged/${key}`, key), 200, `PUT ${key}`);
    }
    const first = await httpRequest(`${s3.endpoint}/paged?list-type=2&prefix=root/&max-keys=1`);
    assert.equal(first.status, 200, first.body.toString());
    const token = /<NextContinuationToken>([^<]+)</.exec(first.body.toString())?.[1];
    assert.ok(token, first.body.toString());
    assert.match(first.body.toString(), /<Key>root\/a<\/Key>/);
    const second = await httpRequest(
      `${s3.endpoint}/paged?list-type=2&prefix=root/&max-keys=1&continuation-token=${encodeURIComponent(token)}`,
    );
    assert.equal(second.status, 200, second.body.toString());
    assert.match(second.body.toString(), /<Key>root\/b<\/Key>/);
    assert.deepEqual(s3.errors, []);
  });
});

function put(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "PUT", headers: { "Content-Length": body.length } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
