#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Converts real 1000 Genomes genotypes (../shared/data/genomics/1000g/chr22.vcf.gz, GRCh37) into a
# 23andMe-format and an AncestryDNA-format file, so Mosaic's consumer-file reader is tested on real
# genotypes in the consumer layout. These are NOT real consumer exports: see NOTES.md.
#
#   /usr/bin/python3 tests/data/genomics/consumer/make_consumer_files.py [path/to/chr22.vcf.gz]
#
# Rules (tst_consumer_genotypes applies the same rules to `bcftools query` output as its truth):
# - rows: biallelic records with an rs id; SNPs whose index among those SNPs (0-based, file order)
#   is congruent to the file's offset modulo 3; indels whose index among those indels is
#   congruent to 0 modulo 10.
# - alleles: SNP bases as in the VCF; for an indel the longer allele is I, the shorter D (23andMe's
#   and AncestryDNA's indel codes); the two copies sorted (consumer files are unphased).
# - no-call: when the imputed dosage DS differs from the GT's count of ALT copies by more than 0.3
#   (the imputation is unsure), the row is a no-call: "--" (23andMe), "0<TAB>0" (AncestryDNA).
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "../../../../../shared/data/genomics/1000g/chr22.vcf.gz")


def rows(sample):
    query = subprocess.run(
        ["bcftools", "query", "-s", sample, "-i", 'N_ALT=1 && ID~"^rs"',
         "-f", "%CHROM\t%POS\t%ID\t%REF\t%ALT\t%TYPE[\t%GT\t%DS]\n", SOURCE],
        check=True, capture_output=True, text=True)
    for line in query.stdout.splitlines():
        yield line.split("\t")


def convert(sample, offset):
    snp_index = 0
    indel_index = 0
    out = []
    for chrom, pos, rsid, ref, alt, vtype, gt, ds in rows(sample):
        if vtype == "SNP":
            keep = snp_index % 3 == offset
            snp_index += 1
            spell = {"0": ref, "1": alt}
        elif vtype == "INDEL":
            keep = indel_index % 10 == 0
            indel_index += 1
            spell = {"0": "I" if len(ref) > len(alt) else "D", "1": "I" if len(alt) > len(ref) else "D"}
        else:
            continue
        if not keep:
            continue
        copies = gt.replace("|", "/").split("/")
        alt_copies = sum(1 for c in copies if c == "1")
        no_call = ds == "." or abs(float(ds) - alt_copies) > 0.3
        alleles = None if no_call else sorted(spell[c] for c in copies)
        out.append((rsid, chrom, pos, alleles))
    return out


def write_23andme(path, sample, records):
    with open(path, "w", newline="\n") as f:
        f.write("# This file is in the 23andMe raw data layout but is NOT a 23andMe export.\n")
        f.write("# Converted from 1000 Genomes Project sample %s (chr22.vcf.gz) by make_consumer_files.py.\n"
                % sample)
        f.write("# Positions are on the reference human assembly build 37 (GRCh37).\n")
        f.write("# Fields are TAB-separated; the genotype is on the plus strand; -- is a no call.\n")
        f.write("#\n# rsid\tchromosome\tposition\tgenotype\n")
        for rsid, chrom, pos, alleles in records:
            f.write("%s\t%s\t%s\t%s\n" % (rsid, chrom, pos, "--" if alleles is None else "".join(alleles)))


def write_ancestry(path, sample, records):
    with open(path, "w", newline="\n") as f:
        f.write("#This file is in the AncestryDNA raw data layout but is NOT an AncestryDNA export.\n")
        f.write("#Converted from 1000 Genomes Project sample %s (chr22.vcf.gz) by make_consumer_files.py.\n"
                % sample)
        f.write("#Columns two and three contain the chromosome and basepair position of the SNP using human "
                "reference build 37.1 coordinates.\n")
        f.write("#Columns four and five contain the two alleles; 0 is a no call.\n")
        f.write("rsid\tchromosome\tposition\tallele1\tallele2\n")
        for rsid, chrom, pos, alleles in records:
            a1, a2 = ("0", "0") if alleles is None else alleles
            f.write("%s\t%s\t%s\t%s\t%s\n" % (rsid, chrom, pos, a1, a2))


write_23andme(os.path.join(HERE, "HG00096_chr22_23andme.txt"), "HG00096", convert("HG00096", 0))
write_ancestry(os.path.join(HERE, "HG00097_chr22_ancestrydna.txt"), "HG00097", convert("HG00097", 1))
