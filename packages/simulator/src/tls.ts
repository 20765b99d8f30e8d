import { generate } from "selfsigned";

/** A PEM certificate and private key for the HTTPS listener. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/** Generates a self-signed certificate for localhost, 127.0.0.1 and ::1 (plus `host`), valid 1 year. */
export async function selfSignedCertificate(host: string): Promise<TlsMaterial> {
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 2, value: "localhost" },
    { type: 7, ip: "127.0.0.1" },
    { type: 7, ip: "::1" },
  ];
  if (/^[\d.]+$/.test(host) || host.includes(":")) {
    if (host !== "127.0.0.1" && host !== "::1" && host !== "0.0.0.0" && host !== "::") {
      altNames.push({ type: 7, ip: host });
    }
  } else if (host !== "localhost") {
    altNames.push({ type: 2, value: host });
  }
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: "commonName", value: "bindpool-simulator" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: notAfter,
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
