/**
 * Campaign experiments: the stable assignment of recipients to variants, holdout and test share
 * ({@link dev.relay.gateway.experiment.Assignment}).
 */
package dev.relay.gateway.experiment;
