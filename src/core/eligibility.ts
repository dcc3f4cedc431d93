/**
 * Who may receive ALPR data, and for what (policy §4, §5; Cal. Civ. Code 1798.90.55(b) as read by
 * the Attorney General's bulletin 2023-DLE-06): only a California public law-enforcement or
 * prosecutorial agency, only for a criminal investigation. Pure: judged from the facts recorded
 * in the agency register (name, kind, jurisdiction, identifier) and the custodian's overrides,
 * never from what the operator typed as the agency's jurisdiction alone.
 */

/** The citation every refusal of a recipient carries. */
export const RECIPIENT_CITE = 'policy §4/§5, Cal. Civ. Code § 1798.90.55(b), Attorney General bulletin 2023-DLE-06';

/** The facts of an agency as the register holds them. */
export interface AgencyFacts {
  id: string;
  name: string;
  kind: string;
  jurisdiction: string;
  identifier: string | null;
}

/**
 * The custodian's signed confirmation of an agency whose facts cannot be checked by form (an
 * identifier that is a documented equivalent of an ORI), and the purposes beyond a criminal
 * investigation it allows. It never makes a federal, other-state or private recipient eligible:
 * the statute forbids those whatever the city decides.
 */
export interface AgencyOverride {
  id: string;
  agency: string;
  reason: string;
  /** Purposes other than a criminal investigation that the override allows for this agency. */
  purposes: string[];
  by: string;
  at: string;
  documentSha256: string | null;
}

export interface Eligibility {
  eligible: boolean;
  /** Why not (a sentence citing the law), when not eligible. */
  refusal?: string;
  /** The override the eligibility rests on, when it rests on one. */
  override?: AgencyOverride;
}

/** An ORI (NCIC Originating Agency Identifier) of a California agency: `CA` and 7 letters or digits. */
export const CALIFORNIA_ORI = /^CA[0-9A-Z]{7}$/;

// Names that are federal whatever jurisdiction is typed. Acronyms match as whole words, in capitals.
const FEDERAL_ACRONYMS = /\b(FBI|ICE|HSI|DHS|CBP|DEA|ATF|USMS|TSA|USPIS|IRS|NCIS|USSS|FPS|NSA|CIA)\b/;
const FEDERAL_WORDS =
  /\bU\.\s?S\.(?=\s|$)|\b(federal|united states|homeland security|immigration|customs|border patrol|drug enforcement|alcohol,? tobacco|marshals? service|secret service|postal inspect\w*|department of defense|national guard|bureau of prisons|naval criminal|army criminal investigation|air force office of special investigations|coast guard|enforcement and removal)\b/i;
// "US" written without dots before a name ("US Park Police"), in capitals; "US 101" is a highway.
const US_UNDOTTED = /\bUS\s+(?=[A-Z][a-z])/;
/** Acronyms written with dots ("F.B.I.") as the acronym ("FBI"). */
function undotted(name: string): string {
  return name.replace(/\b(?:[A-Z]\.){2,}/g, (m) => m.replaceAll('.', ''));
}
// Other states (California's own counties and cities named after a state — Nevada County, Nevada
// City — are not other states). Only "X State", "State of X" and state-wide bodies are judged here;
// everything else is caught by the ORI, whose first two letters name the state.
const STATES = [
  'Alabama',
  'Alaska',
  'Arizona',
  'Arkansas',
  'Colorado',
  'Connecticut',
  'Delaware',
  'Florida',
  'Georgia',
  'Hawaii',
  'Idaho',
  'Illinois',
  'Indiana',
  'Iowa',
  'Kansas',
  'Kentucky',
  'Louisiana',
  'Maine',
  'Maryland',
  'Massachusetts',
  'Michigan',
  'Minnesota',
  'Mississippi',
  'Missouri',
  'Montana',
  'Nebraska',
  'Nevada',
  'New Hampshire',
  'New Jersey',
  'New Mexico',
  'New York',
  'North Carolina',
  'North Dakota',
  'Ohio',
  'Oklahoma',
  'Oregon',
  'Pennsylvania',
  'Rhode Island',
  'South Carolina',
  'South Dakota',
  'Tennessee',
  'Texas',
  'Utah',
  'Vermont',
  'Virginia',
  'Washington',
  'West Virginia',
  'Wisconsin',
  'Wyoming',
];
const STATE_ALT = STATES.join('|');
const OTHER_STATE = new RegExp(
  `\\b(state of (${STATE_ALT})|(${STATE_ALT}) (state|highway patrol|department of public safety|attorney general|bureau of investigation)|new york city)\\b|\\b(${STATE_ALT})\\b(?! (county|city)\\b)`,
  'i',
);
const PRIVATE =
  /\b(inc|llc|l\.l\.c|corp|corporation|company|ltd|llp|pllc|gmbh|repossessions?|recovery|towing|insurance|bail bonds?|private investigat\w*|security services|analytics|marketing)\b\.?/i;

/** What a name says of the agency, whatever jurisdiction was typed: federal, another state, private. */
export function nameRefusal(name: string): string | undefined {
  const plain = undotted(name);
  if (FEDERAL_ACRONYMS.test(plain) || FEDERAL_WORDS.test(name) || US_UNDOTTED.test(name))
    return 'names a federal agency';
  if (OTHER_STATE.test(name)) return 'names an agency of another state';
  if (PRIVATE.test(name)) return 'names a private firm';
  return undefined;
}

const JURISDICTION_WORDS: Record<string, string> = {
  'other-state': 'an agency of another state',
  federal: 'a federal agency',
  private: 'a private party',
};

/**
 * Whether an agency may receive ALPR data, from its recorded facts and the standing override (if
 * any). The statute's exclusions (federal, other states, private parties — by jurisdiction or by
 * name) cannot be overridden; a missing or non-Californian identifier can, by the custodian's
 * signed override.
 */
export function agencyEligibility(a: AgencyFacts, override?: AgencyOverride): Eligibility {
  const refusal = statutoryRefusal(a);
  if (refusal) return { eligible: false, refusal };
  const id = (a.identifier ?? '').trim().toUpperCase();
  if (CALIFORNIA_ORI.test(id)) return { eligible: true };
  if (override) return { eligible: true, override };
  const what = id
    ? `its identifier ${a.identifier} is not a California ORI (CA and 7 letters or digits)`
    : 'it has no ORI';
  return {
    eligible: false,
    refusal: `${a.name} (${a.id}) is unconfirmed: ${what}; ${ONLY}. The custodian may confirm a documented equivalent with \`custody agency confirm\`.`,
  };
}

const ONLY = `data may be released only to a California public law-enforcement or prosecutorial agency (${RECIPIENT_CITE})`;

/**
 * What no override can change: a federal, other-state or private recipient (by jurisdiction or by
 * name), an agency that is not law enforcement or prosecutorial, or one not recorded as Californian.
 */
export function statutoryRefusal(a: AgencyFacts): string | undefined {
  const who = `${a.name} (${a.id})`;
  const excluded = JURISDICTION_WORDS[a.jurisdiction];
  if (excluded) return `${who} is ${excluded}; ${ONLY}.`;
  const byName = nameRefusal(a.name);
  if (byName) return `${who} ${byName}, whatever its jurisdiction is recorded as; ${ONLY}.`;
  if (a.kind !== 'law-enforcement' && a.kind !== 'prosecutorial')
    return `${who} is not a law-enforcement or prosecutorial agency; ${ONLY}.`;
  if (a.jurisdiction !== 'california-local' && a.jurisdiction !== 'california-state')
    return `${who} is not recorded as a California agency; ${ONLY}.`;
  return undefined;
}

/**
 * Policy §5: data is transferred "when requested by the agency as part of a criminal
 * investigation". A prosecution is that investigation carried into court.
 */
export const CRIMINAL_PURPOSES = ['criminal investigation', 'prosecution of a criminal case'] as const;

/** Whether a purpose is a criminal investigation (policy §5). */
export function isCriminalPurpose(purpose: string): boolean {
  return (CRIMINAL_PURPOSES as readonly string[]).includes(purpose.trim().toLowerCase());
}

/**
 * Why a transfer for `purpose` is refused (policy §5), or undefined when it may go ahead: a
 * criminal purpose, or one that the agency's override names.
 */
export function purposeRefusal(purpose: string, override?: AgencyOverride): string | undefined {
  if (isCriminalPurpose(purpose)) return undefined;
  if (override?.purposes.some((p) => p.trim().toLowerCase() === purpose.trim().toLowerCase())) return undefined;
  return `the purpose "${purpose}" is not a criminal investigation; data is transferred only when requested as part of a criminal investigation (policy §5)`;
}

/** Policy §2: the contractor may access footage only to help collect evidence in the event of a crime. */
export const CONTRACTOR_PURPOSE = 'evidence of a crime';
/** The longest a contractor's permission may run, in days from its first day. */
export const CONTRACTOR_PERMIT_MAX_DAYS = 30;

/** Why a contractor permission is refused (policy §2), or undefined. Dates are YYYY-MM-DD. */
export function contractorPermitRefusal(o: {
  purpose: string;
  caseNumber: string;
  from: string;
  until: string;
}): string | undefined {
  if (o.purpose.trim().toLowerCase() !== CONTRACTOR_PURPOSE)
    return `the contractor may access footage only to help collect ${CONTRACTOR_PURPOSE} ("${o.purpose}" is not that purpose) (policy §2)`;
  if (!o.caseNumber.trim())
    return 'a permission to collect evidence of a crime names the case or incident number (policy §2)';
  const days = Math.round((Date.parse(`${o.until}T00:00:00Z`) - Date.parse(`${o.from}T00:00:00Z`)) / 86_400_000) + 1;
  if (days > CONTRACTOR_PERMIT_MAX_DAYS)
    return `a permission runs at most ${CONTRACTOR_PERMIT_MAX_DAYS} days (${o.from} to ${o.until} is ${days}); a longer need is a new permission (policy §2)`;
  return undefined;
}
