export * from './codes';
export * from './topics';
export * from './events';
export * from './commands';
export * from './codec';
export * from './room-name';
export * from './rooms.codec';
export * from './channels.codec';
