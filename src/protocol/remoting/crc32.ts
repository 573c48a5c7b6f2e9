// CRC-32 as java.util.zip.CRC32 computes it (IEEE 802.3, reflected, poly 0xEDB88320), and the
// masked form RocketMQ brokers put into REGISTER_BROKER's bodyCrc32 (ROCKETMQ.md §2.3). Pure.

const CRC_TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Unsigned CRC-32 of `bytes`, equal to `new CRC32().update(bytes).getValue()` in Java. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) {
    crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `UtilAll.crc32(body)`: CRC-32 with the top bit masked off (`& 0x7FFFFFFF`), as brokers send it. */
export function bodyCrc32(bytes: Uint8Array): number {
  return crc32(bytes) & 0x7fffffff;
}
