/**
 * The patients module's service functions, one file per verb under ops/. Other modules import from
 * here (`hasConsent`, for example), or `requireActivePatient` from lookup.ts.
 */
export { grantConsent, hasConsent, listConsents, revokeConsent } from './ops/consent.js';
export { createPatient, lockRegistrationsBornOn } from './ops/create.js';
export { deletePatient } from './ops/delete.js';
export { findPatientDuplicates } from './ops/duplicates.js';
export { getPatient } from './ops/get.js';
export { mergePatients } from './ops/merge.js';
export { searchPatients } from './ops/search.js';
export { updatePatient } from './ops/update.js';
