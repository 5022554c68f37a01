// Package scaleout shows minicache beside the engines that scale beyond one
// process, in a module of its own so that their clients never enter the
// library's go.mod.
//
//   - [NearCache] is a minicache in front of a shared Redis (or Valkey): an
//     in-process L1 that reads through with [minicache.Cache.GetOrLoad],
//     writes through to Redis, and bounds how stale it can be by its TTL.
//   - [RueidisStore] is a minicache as the store of rueidis's client-side
//     caching, where Redis itself invalidates (CLIENT TRACKING).
//   - The tests also run three cmd/minicache servers behind twemproxy
//     (nutcracker), as deploy/twemproxy does, and check the sharding,
//     fan-out and ejection end to end.
package scaleout
