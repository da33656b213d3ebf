"""The governor on Redis, for many hosts: the token bucket runs server-side in one Lua script.

The script is `ratelimit.Bucket` line for line (create, refill with linear recovery after a 429, reserve,
observe the `X-RateLimit-*` headers, throttle), run atomically by Redis with Redis's own `TIME`, so hosts
with skewed clocks still share one correct budget. `tests/unit/test_governor_redis.py` runs random
sequences through both and checks they agree. Needs the `redis` package (`pip install 'cortexkit[governor]'`).
"""

from __future__ import annotations

from typing import Any

from cortexkit import errors
from cortexkit.governor import GovernorUnavailableError, Observed
from cortexkit.ratelimit import BETA, HEADROOM, MIN_RATE, SAFETY, Bucket

TIMEOUT = 0.5
"""Seconds to wait for Redis before failing open: a slow governor must not stall every call."""

EXPIRE = 3600
"""Idle buckets disappear after an hour; a new one starts full, as the server's would."""

RECOVER_SECONDS = Bucket.recover_seconds

SCRIPT = """
local function fmt(x) return string.format('%.17g', x) end
local op = ARGV[1]
local rate, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
local safety, beta = tonumber(ARGV[4]), tonumber(ARGV[5])
local min_rate, recover = tonumber(ARGV[6]), tonumber(ARGV[7])
local headroom = tonumber(ARGV[14])
local now = tonumber(ARGV[12])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local f = redis.call('HMGET', KEYS[1], 'c', 'b', 'r', 't', 'u', 'ta', 'tr')
local c, b, r, t, u, ta, tr
if f[1] then
  c, b, r, t, u = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
  ta, tr = tonumber(f[6] or ''), tonumber(f[7]) or 0
else
  c = math.max(min_rate, rate * safety)
  if burst > 1 then b = math.max(1, burst - 1) else b = 1 end
  r, t, u, ta, tr = c, b, now, nil, 0
end
local function refill()  -- Bucket._refill
  if ta ~= nil then
    local recovered = tr + (c - tr) * ((now - ta) / recover)
    if recovered >= c then r, ta = c, nil else r = recovered end
  end
  local elapsed = now - u
  if elapsed < 0 then elapsed = 0 end
  t = math.min(b, t + elapsed * r)
  u = now
end
local function retime(newr)  -- Bucket._retime: the sends already scheduled stay where they are
  if t < 0 and r > 0 then t = t * newr / r end
  r = newr
end
refill()
local result = '0'
if op == 'reserve' then
  t = t - 1
  if t < 0 then result = fmt(-t / r) end
elseif op == 'release' then  -- Bucket.release
  t = math.min(b, t + 1)
else
  -- Bucket.observe
  local hr, hb, hrem = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  if hr ~= nil and hr > 0 then
    local ceiling = math.max(min_rate, hr * safety)
    if ceiling ~= c then
      c = ceiling
      if ta ~= nil then retime(math.min(r, ceiling)) else retime(ceiling) end
    end
  end
  if hb ~= nil and hb >= 1 then
    if hb > 1 then b = math.max(1, hb - 1) else b = 1 end
    t = math.min(t, b)
  end
  if hrem ~= nil and hrem >= 0 then
    t = math.min(t, hrem)
    if ta ~= nil and hrem >= headroom * b then
      ta = nil
      retime(c)
    end
  end
  -- Bucket.throttled
  if ARGV[11] == '429' then
    refill()
    tr = math.max(min_rate, r * beta)
    t = math.min(t, 0)
    retime(tr)
    ta = now
  end
end
local tas = ''
if ta ~= nil then tas = fmt(ta) end
redis.call('HSET', KEYS[1], 'c', fmt(c), 'b', fmt(b), 'r', fmt(r), 't', fmt(t), 'u', fmt(u),
  'ta', tas, 'tr', fmt(tr))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[13]))
return result
"""


def _arg(value: float | None) -> str:
    return "" if value is None else repr(float(value))


class RedisBucketStore:
    """Shared buckets under `namespace:<bucket key>` in Redis. Thread-safe (redis-py pools connections)."""

    def __init__(self, url: str, namespace: str, *, timeout: float = TIMEOUT) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise errors.ConfigurationError(
                "the governor URL must start with redis://, rediss:// or unix:// "
                "(set CORTEXKIT_GOVERNOR_URL or governor_url=, or unset it for the embedded governor)"
            )
        try:
            import redis
        except ImportError as exc:
            raise errors.ConfigurationError(
                "the Redis governor needs the redis package: pip install 'cortexkit[governor]'"
            ) from exc
        self.namespace = namespace
        self.description = "Redis " + _safe_url(url)
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script = self._redis.register_script(SCRIPT)
        self._error: type[Exception] = redis.RedisError

    def run(self, op: str, key: str, rate: float, burst: int, *rest: str, now: float | None = None) -> str:
        """One atomic step of the bucket `key`; `now` only for tests that compare with `Bucket`."""
        args: list[Any] = [op, repr(float(rate)), str(burst), repr(SAFETY), repr(BETA), repr(MIN_RATE)]
        args += [repr(RECOVER_SECONDS), *(rest or ("", "", "", "")), _arg(now), str(EXPIRE), repr(HEADROOM)]
        try:
            out = self._script(keys=[f"{self.namespace}:{key}"], args=args)
        except (self._error, OSError) as exc:
            raise GovernorUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        return out.decode() if isinstance(out, bytes) else str(out)

    def reserve(self, key: str, rate: float, burst: int) -> float:
        return float(self.run("reserve", key, rate, burst))

    def release(self, key: str, rate: float, burst: int) -> None:
        self.run("release", key, rate, burst)

    def respond(self, key: str, rate: float, burst: int, status: int, observed: Observed) -> None:
        self.run("respond", key, rate, burst, *(_arg(v) for v in observed), str(status))

    def state(self, key: str) -> dict[str, str]:
        """The stored fields of one bucket (diagnostics and tests)."""
        raw = self._redis.hgetall(f"{self.namespace}:{key}")
        return {_text(k): _text(v) for k, v in raw.items()}

    def close(self) -> None:
        self._redis.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
