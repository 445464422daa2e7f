// Name resolution for the doctor, behind an interface so that tests (and a user who wants to ask a
// particular DNS server) can inject their own. The default resolves host names the way a
// connection does (getaddrinfo: /etc/hosts, then DNS) and SRV records through DNS.
import { type SrvRecord } from 'node:dns';
import { lookup, Resolver } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface DoctorResolver {
  /** The A and AAAA addresses of a host, in the order a connection would try them. Rejects with a code (ENOTFOUND...) when there are none. */
  lookup(host: string): Promise<ResolvedAddress[]>;
  /** SRV records of a name like _imaps._tcp.example.com. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export const systemResolver: DoctorResolver = {
  lookup: async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })),
  resolveSrv: (name) => new Resolver().resolveSrv(name),
};

function isNoData(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENODATA' || code === 'ENOTFOUND';
}

/** A resolver that asks the given DNS servers ("127.0.0.1:5353") and nothing else, /etc/hosts included. */
export function dnsServerResolver(servers: string[], timeoutMs = 3000): DoctorResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers(servers);
  return {
    lookup: async (host) => {
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      const out: ResolvedAddress[] = [
        ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
        ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
      ];
      if (out.length) {
        return out;
      }
      // report the more telling failure: a server error beats "no such name"
      const failure = [v4, v6].find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isNoData(r.reason)) ?? [v4, v6].find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw failure?.reason ?? Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
    },
    resolveSrv: (name) => resolver.resolveSrv(name),
  };
}

/** Explains a resolver error code in words. */
export function describeDnsError(err: unknown): { missing: boolean; text: string } {
  const code = (err as { code?: string }).code ?? '';
  switch (code) {
    case 'ENOTFOUND':
      return { missing: true, text: 'no such name (NXDOMAIN)' };
    case 'ENODATA':
      return { missing: true, text: 'the name exists but has no record of this type' };
    case 'ETIMEOUT':
    case 'EAI_AGAIN':
      return { missing: false, text: `the DNS server did not answer in time (${code})` };
    case 'ESERVFAIL':
      return { missing: false, text: 'the DNS server failed to answer (SERVFAIL)' };
    case 'EREFUSED':
      return { missing: false, text: 'the DNS server refused the query (REFUSED)' };
    case 'ECONNREFUSED':
      return { missing: false, text: 'no DNS server answers at the configured address' };
    default:
      return { missing: false, text: code ? `DNS error ${code}` : String((err as Error)?.message ?? err) };
  }
}
