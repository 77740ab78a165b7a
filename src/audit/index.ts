// Public surface of the audit log: one writer, every change made by a person.
export * from './audit.service.js';
