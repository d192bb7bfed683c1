export { serve, ServeOptionsSchema, type ServeOptions, type EnvServer, type SessionEvent } from './server.js';
export { ERROR_CODES, ClientMessageSchema, ResetDataSchema, StepDataSchema, type ErrorCode, type ClientMessage, type ServerMessage, type ObservationData } from './protocol.js';
export { ActionSchema, ObservationSchema, ObservationDataSchema, StateSchema, serverSchemas, type SessionState } from './wire.js';
export { CLOSE_CODES } from './session.js';
