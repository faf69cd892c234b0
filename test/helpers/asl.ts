/** The synthesized state machine as plain ASL: the resolve logic lives beside the stand-in that runs it. */
export { aslOf } from '../../local/step-functions-emulator/asl';
