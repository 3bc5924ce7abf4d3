import type { ContactPoint } from '@medplum/fhirtypes';

/** Phone and email as FHIR contact points, when there are any; the `preferred` one ranked 1. */
export function contactPoints(contact: { phone?: string | null; email?: string | null }, preferred?: 'phone' | 'email'): { telecom?: ContactPoint[] } {
  const rank = (system: 'phone' | 'email') => (system === preferred ? { rank: 1 } : {});
  const telecom: ContactPoint[] = [
    ...(contact.phone ? [{ system: 'phone' as const, value: contact.phone, ...rank('phone') }] : []),
    ...(contact.email ? [{ system: 'email' as const, value: contact.email, ...rank('email') }] : []),
  ];
  return telecom.length > 0 ? { telecom } : {};
}
