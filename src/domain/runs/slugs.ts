/** Random two-word run names (`adjective-animal`), as Prefect names runs created without one. */
import { randomInt } from 'node:crypto';

const ADJECTIVES = (
  'amber agile ancient bold brave bright brisk calm candid clever cosmic crimson curious daring dapper eager ' +
  'earnest elegant fancy fearless festive fierce gentle gifted glossy golden graceful grand happy hardy hidden ' +
  'honest humble icy jolly keen kind lively lucky majestic mellow merry mighty modest nimble noble olive ' +
  'patient placid plucky polite proud quick quiet rapid rare ruby rustic sage scarlet serene sharp shiny silent ' +
  'silver sleek smart snowy solid spry steady stellar sturdy sunny swift tactful tidy tranquil true vivid warm ' +
  'wise witty zealous zesty'
).split(' ');

const ANIMALS = (
  'albatross alpaca antelope badger beaver bison bobcat buffalo camel caracal cheetah chital condor coyote ' +
  'crane dingo dolphin dormouse eagle egret falcon ferret finch flamingo fox gazelle gecko gibbon heron hyena ' +
  'ibex iguana jackal jaguar kestrel koala lemur leopard lizard llama lynx macaw marmot marten mink mongoose ' +
  'moose narwhal newt ocelot okapi orca osprey otter owl panda panther parrot pelican penguin puffin quail ' +
  'rabbit raccoon raven salamander seal skunk sloth sparrow stoat swan tapir tiger toucan turtle viper walrus ' +
  'weasel whale wolf wombat yak zebra clam'
).split(' ');

export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${ANIMALS[randomInt(ANIMALS.length)]}`;
}
