'use strict';
// An oidc-provider storage adapter over plain Maps (the adapter interface of oidc-provider's
// docs: upsert, find, findByUid, findByUserCode, consume, destroy, revokeByGrantId).
//
// Why not the built-in MemoryAdapter: it is an LRU capped at 1000 entries, so under load the
// tokens issued by the timed requests evict the codes and refresh tokens minted beforehand
// (the run would measure errors), and oidc-provider itself warns that it is for development
// only. This one keeps everything for the life of the process, like the other peers' Map
// models. oidc-provider checks `exp` itself on every find, so nothing needs evicting for
// correctness.

const storage = new Map(); // `${model}:${id}` -> payload
const grantMembers = new Map(); // grantId -> Set of storage keys (for revokeByGrantId)
const byUid = new Map(); // Session uid -> id
const byUserCode = new Map(); // DeviceCode userCode -> id

class MapAdapter {
  /** @param {string} model the oidc-provider model name (AccessToken, RefreshToken, Grant, ...) */
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, _expiresIn) {
    const key = this.key(id);
    storage.set(key, payload);
    if (payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
    if (this.model === 'Session' && payload.uid) byUid.set(payload.uid, id);
    if (payload.userCode) byUserCode.set(payload.userCode, id);
  }

  async find(id) {
    return storage.get(this.key(id));
  }

  async findByUid(uid) {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storage.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    const key = this.key(id);
    const payload = storage.get(key);
    storage.delete(key);
    if (payload?.grantId) grantMembers.get(payload.grantId)?.delete(key);
  }

  async revokeByGrantId(grantId) {
    const members = grantMembers.get(grantId);
    if (!members) return;
    for (const key of members) storage.delete(key);
    grantMembers.delete(grantId);
  }
}

module.exports = { MapAdapter };
