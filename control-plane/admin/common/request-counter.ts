import { Injectable } from '@nestjs/common';

/** Connection and request counters for `GET /status` (Kong's `server` block). */
@Injectable()
export class RequestCounter {
  total = 0;
  active = 0;
  accepted = 0;

  snapshot() {
    return {
      total_requests: this.total,
      connections_active: this.active,
      connections_accepted: this.accepted,
      connections_handled: this.accepted,
    };
  }
}
