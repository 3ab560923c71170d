# MacKinnon (1996) response-surface tables for the Dickey-Fuller tau statistic (one
# variable), exported from R package urca (which ships MacKinnon's files probs.tab and
# urc-1.tab as the objects .probsUrcval and .urc1) to mackinnon1996_tau.csv next to this
# script. These are tables of constants (data), read by
# migflows/estimation/unit_root/mackinnon1996.py.
#
# Source: James G. MacKinnon, "Numerical distribution functions for unit root and
# cointegration tests", Journal of Applied Econometrics 11 (1996), 601-618; the tables as
# distributed with urca (Pfaff), GPL with the author's permission (see urca's sources).
# Terms: MacKinnon's files say they "may be used freely for non-commercial purposes,
# provided that proper attribution is made"; urca ships them under the GPL with his written
# consent. migflows is MIT-licensed: whether this table may ship inside it (or must become
# an optional download) is an open licensing question for the maintainers.
#
# Run from the repository root:
#   Rscript migflows/estimation/unit_root/data/make_mackinnon1996.R
# Columns: trend (nc, c, ct, ctt as urca::punitroot), model (response-surface form:
# 2 = b0 + b1/T + b2/T^2, 3 = ... + b3/T^3), minsize (smallest sample MacKinnon trusts),
# prob (one of 221 probability levels), cnorm (its standard-normal quantile, as tabulated),
# beta0..beta3 (response-surface coefficients; beta0 = asymptotic quantile), weight
# (MacKinnon's precision weight of that quantile).
suppressPackageStartupMessages(library(urca))
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."

ns <- asNamespace("urca")
probs <- get(".probsUrcval", ns)
table1 <- get(".urc1", ns)
split <- function(line) {
  parts <- strsplit(line, " ")[[1]]
  parts[parts != ""]
}
out <- list()
itt <- 1  # the tau (t) statistic
for (itv in 1:4) {
  skip <- 886 * (itt - 1) + 2 * itt + (itv - 1) * 222  # as urca:::.urcval indexes the file
  head <- split(table1[skip])
  model <- as.integer(head[4])
  nvar <- if (model == 2 || model == 4) 3 else 4
  beta <- t(sapply(table1[(skip + 1):(skip + 221)], function(l) as.numeric(split(l))))
  b <- matrix(0, 221, 4)
  b[, 1:nvar] <- beta[, 1:nvar]
  out[[itv]] <- data.frame(
    trend = c("nc", "c", "ct", "ctt")[itv], model = model, minsize = as.integer(head[5]),
    prob = probs[, 1], cnorm = probs[, 2],
    beta0 = b[, 1], beta1 = b[, 2], beta2 = b[, 3], beta3 = b[, 4],
    weight = beta[, nvar + 1])
}
tab <- do.call(rbind, out)
write.csv(tab, file.path(out_dir, "mackinnon1996_tau.csv"), row.names = FALSE)
cat("wrote", nrow(tab), "rows (urca", as.character(packageVersion("urca")), ")\n")
