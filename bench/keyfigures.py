"""Key figures at archive scale: ``figures.keyfigures.reconcile`` on a made-up frame of 100,000
figures in some 25,000 place-and-category groups; prints the CPU time.

    .venv/bin/python bench/keyfigures.py
"""
import sys, time, random
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pandas as pd
from figures.keyfigures import reconcile
random.seed(1)
n=100_000
rows=[]
for i in range(n):
    g=random.randrange(5000)
    rows.append({"figure_id": i+1, "category": random.choice(["killed","injured","displaced","trapped","missing"]),
                 "location": f"Place {g}", "country": "SYR", "value": float(random.randrange(1,100000)),
                 "number_text": "x", "qualifier": "exact", "source": random.choice(["UN","UNICEF","OCHA","", "Observatory"]),
                 "reported_date": f"2017-{random.randrange(1,13):02d}-{random.randrange(1,28):02d}", "figure_date": "",
                 "review_status": "unreviewed", "document_id": random.randrange(20000), "part_of_figure_id": None, "combatant": 0})
df=pd.DataFrame(rows)
t=time.process_time(); ks=reconcile(df); print(len(ks), round(time.process_time()-t,2), "s")
