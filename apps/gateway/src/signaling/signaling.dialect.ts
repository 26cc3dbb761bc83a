import { SIGNALING_STYLE, signalingCodec } from '@switchboard/protocol';
import type { Dialect } from '../transport/dialect';
import { SignalingGateway } from './signaling.gateway';
import { SignalingService } from './signaling.service';

/** The signaling dialect (seed 004): `/signaling`, an API key (seed 004's credential) or a JWT required. */
export const signalingDialect: Dialect = {
  name: 'signaling',
  path: '/signaling',
  gateway: SignalingGateway,
  providers: [SignalingService],
  codec: signalingCodec,
  styles: { [SIGNALING_STYLE]: signalingCodec },
  credential: { required: true, apiKey: true },
  maxMessageSize: (config) => config.ws.signalingMaxMessageSize,
  match: (path, query) => {
    if (path !== '/signaling') return undefined;
    const resume = query.get('resume');
    if (resume === null) return {};
    return resume === '' || resume.length > 1024 ? { bad: 'resume must be the resume_token of a welcome' } : { resume };
  },
};
