import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl } from '../../../src/redis/url.ts';

describe('parseRedisUrl', () => {
  it('passes redis:// and rediss:// through to ioredis', () => {
    expect(parseRedisUrl('redis://:pw@127.0.0.1:6380/2')).toEqual({
      kind: 'url',
      url: 'redis://:pw@127.0.0.1:6380/2',
      tls: false,
    });
    expect(parseRedisUrl('rediss://redis.example:6380')).toEqual({
      kind: 'url',
      url: 'rediss://redis.example:6380',
      tls: true,
    });
  });

  it('reads the Sentinels, the master name, credentials and database of a redis+sentinel:// URL', () => {
    expect(
      parseRedisUrl('redis+sentinel://10.0.0.1:26379,sentinel-2.example:26380,[::1]:26381/main'),
    ).toEqual({
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-2.example', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'main',
      },
      tls: false,
    });
    expect(parseRedisUrl('redis+sentinel://app:s%40cret@127.0.0.1:26379/my-master/3')).toEqual({
      kind: 'sentinel',
      options: {
        sentinels: [{ host: '127.0.0.1', port: 26379 }],
        name: 'my-master',
        username: 'app',
        password: 's@cret',
        db: 3,
      },
      tls: false,
    });
    expect(parseRedisUrl('rediss+sentinel://127.0.0.1:26379/m')).toMatchObject({
      kind: 'sentinel',
      tls: true,
    });
    expect(parseRedisUrl('redis+sentinel://:pw@127.0.0.1:26379/m')).toMatchObject({
      options: { password: 'pw', name: 'm' },
    });
  });

  it('says what is wrong with a bad URL, without echoing the password', () => {
    expect(() => parseRedisUrl('http://:hunter2@localhost:6379')).toThrowError(
      'Redis URL "http://***@localhost:6379" is not valid: use redis://[user:password@]host:port[/db], ' +
        'rediss:// for TLS, or redis+sentinel://host:port[,host:port...]/master-name[/db] for Sentinel',
    );
    expect(() => parseRedisUrl('redis+sentinel://:hunter2@127.0.0.1:26379')).toThrowError(
      'Redis URL "redis+sentinel://***@127.0.0.1:26379" is not valid: a Sentinel URL is ' +
        'redis+sentinel://[user:password@]host:port[,host:port...]/master-name[/db]',
    );
    expect(() => parseRedisUrl('redis+sentinel://127.0.0.1,127.0.0.2:26379/m')).toThrowError(
      'Redis URL "redis+sentinel://127.0.0.1,127.0.0.2:26379/m" is not valid: "127.0.0.1" is not host:port ' +
        '(every Sentinel needs its port, usually 26379)',
    );
    expect(() => parseRedisUrl('redis+sentinel://127.0.0.1:99999/m')).toThrowError(
      /"127.0.0.1:99999" is not host:port/,
    );
    expect(() => parseRedisUrl('redis+sentinel://127.0.0.1:26379/m/x')).toThrowError(/a Sentinel URL is/);
  });

  it('redacts credentials', () => {
    expect(redactRedisUrl('redis+sentinel://u:p@h:1/m')).toBe('redis+sentinel://***@h:1/m');
  });
});
