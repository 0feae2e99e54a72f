/**
 * EXPOSE port specs as Docker reads them (go-connections' ParsePortSpec):
 * `[ip:][hostPort:]containerPort[-end][/proto]`, proto tcp (default), udp or sctp; a range
 * exposes each port in it. Only the container side is kept (`80/tcp`).
 */

function portNumber(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** [start, end] of `80` or `8000-8010`; undefined when not a valid range. */
function portRange(text: string): [number, number] | undefined {
  if (text === '') return undefined;
  const parts = text.split('-');
  const start = portNumber(parts[0]!);
  const end = parts.length === 1 ? start : portNumber(parts[1]!);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function specPorts(spec: string): string[] {
  const parts = spec.split(':');
  const hostPort = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const last = parts[parts.length - 1]!;
  const [rawPort = '', rawProto = ''] = last.split('/');
  const proto = rawPort === '' ? '' : rawProto === '' ? 'tcp' : rawProto;
  if (rawPort === '') throw new Error(`No port specified: ${spec}<empty>`);
  const range = portRange(rawPort);
  if (!range) throw new Error(`Invalid containerPort: ${rawPort}`);
  if (hostPort !== '') {
    const host = portRange(hostPort);
    if (!host) throw new Error(`Invalid hostPort: ${hostPort}`);
    if (range[1] - range[0] !== host[1] - host[0] && range[0] !== range[1])
      throw new Error(
        `Invalid ranges specified for container and host Ports: ${rawPort} and ${hostPort}`,
      );
  }
  const protocol = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new Error(`Invalid proto: ${proto}`);
  const ports: string[] = [];
  for (let port = range[0]; port <= range[1]; port++) ports.push(`${port}/${protocol}`);
  return ports;
}

/** The exposed-port keys (`80/tcp`) of `specs`; throws Docker's message for an invalid one. */
export function exposedPorts(specs: readonly string[]): string[] {
  return specs.flatMap(specPorts);
}
