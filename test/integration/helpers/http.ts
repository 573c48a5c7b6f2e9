// Plain HTTP reads of a node's port for tests that poll it (readiness, routes).

/** The status of GET http://127.0.0.1:port/path (body read and dropped), or 0 when nothing answered. */
export async function httpStatus(port: number, path: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
