export { ApprovalLinks, type ApprovalLinksOptions, type IssuedLinks, LINK_ACTIONS, type LinkAction, type LinkClaims, signLink, tokenHash, verifyLink } from './approval-links';
export { approvalRoutes, type ApprovalRouteDeps } from './approval-routes';
export { ApprovalLinkError } from './errors';
export { LINK_SECRET_ENV, linkSecretFromEnv, resolveLocalLinkSecret } from './link-secret';
export { NOTICE_TYPES, type Notice, announcedStatus, headline, slackMessage, webhookBody } from './messages';
export { Notifier, type NotifierOptions } from './notifier';
export { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifyBodySignature } from './signing';
